//! The sign-in and account forms. Each is a plain HTML form post answered with a redirect
//! (post/redirect/get), so it works the same with and without JavaScript, a reload never
//! re-sends a password, and the next page says what happened through a `?n=` notice. Handlers
//! return [`crate::web::FormResult`] and use `?`.
pub mod account;
pub mod admin;
pub mod log;
pub mod signin;
pub mod steps;

use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::{MethodRouter, get, post};

use super::limits;
use crate::routes;
use crate::scope::Perm;
use crate::state::AppState;
use crate::web::FormRoute;

pub use steps::{account, parse_email, parse_username, reauth};

/// The sign-in steps (public: each checks the sign-in in progress), the signed-in account's
/// forms, the administration forms of this feature and the sign-in log's export.
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    use crate::web::Access::{Public, Signed};
    // A 1 MB password is refused here, unread, long before any hashing.
    let p = |h: MethodRouter<S>| h.layer(DefaultBodyLimit::max(limits::MAX_FORM_BYTES));
    let portal = Signed(Perm::Portal);
    vec![
        FormRoute::post("/auth/login", Public, p(post(signin::login))),
        FormRoute::post("/auth/verify-email", Public, p(post(signin::verify_email))),
        FormRoute::post("/auth/code", Public, p(post(signin::first_code))),
        FormRoute::post("/auth/code/resend", Public, p(post(signin::resend))),
        FormRoute::post("/auth/new-password", Public, p(post(signin::new_password))),
        FormRoute::post("/auth/mfa", Public, p(post(signin::mfa))),
        FormRoute::post("/auth/mfa/send", Public, p(post(signin::mfa_send))),
        FormRoute::post("/auth/forgot", Public, p(post(signin::forgot))),
        FormRoute::post("/auth/reset", Public, p(post(signin::reset))),
        FormRoute::post("/auth/logout", Public, p(post(signin::logout))),
        FormRoute::post("/account/password", portal, p(post(account::change_password))),
        FormRoute::post("/account/email", portal, p(post(account::change_email))),
        FormRoute::post("/account/email/verify", portal, p(post(account::confirm_new_email))),
        FormRoute::post("/account/phone", portal, p(post(account::start_phone))),
        FormRoute::post("/account/phone/verify", portal, p(post(account::verify_phone))),
        FormRoute::post("/account/phone/remove", portal, p(post(account::remove_phone))),
        FormRoute::post("/account/totp", portal, p(post(account::add_totp))),
        FormRoute::post("/account/totp/remove", portal, p(post(account::remove_totp))),
        FormRoute::post("/account/recovery-codes", portal, p(post(account::recovery_codes))),
        FormRoute::post("/account/default-method", portal, p(post(account::default_method))),
        FormRoute::post("/account/email-codes", portal, p(post(account::email_codes))),
        FormRoute::post("/account/sessions/end", portal, p(post(account::end_session))),
        FormRoute::post(routes::ACCOUNT_CONFIRM, portal, p(post(account::confirm))),
        FormRoute::post("/admin/invite", Signed(Perm::UsersManage), p(post(admin::invite))),
        FormRoute::post("/admin/users/resend", Signed(Perm::UsersManage), p(post(admin::resend_invitation))),
        FormRoute::post("/admin/users/unlock", Signed(Perm::UsersManage), p(post(admin::unlock))),
        FormRoute::post("/admin/mfa-policy", Signed(Perm::SecuritySettings), p(post(admin::mfa_policy))),
        FormRoute::post("/admin/sms-countries", Signed(Perm::SecuritySettings), p(post(admin::sms_countries))),
        FormRoute::get(routes::USERS_SIGN_IN_LOG_CSV, Signed(Perm::SignInLogsRead), get(log::sign_in_log_csv)),
    ]
}
