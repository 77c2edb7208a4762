//! The messages the sign-in flow sends, in the recipient's language, as plain text and HTML.
//! Links are built from the configured public base URL, never from a request's Host header.
use crate::i18n::{K, Lang};
use crate::mail::Email;

use crate::time::format_utc;

pub enum Message<'a> {
    Invitation {
        name: &'a str,
        username: &'a str,
        temp_password: &'a str,
        expires_at: i64,
    },
    Code {
        code: &'a str,
    },
    Locked {
        until: i64,
    },
    Reset {
        token: &'a str,
    },
    /// A change to the account's security, sent to the address on file before the change.
    Changed {
        what: K,
    },
}

use crate::util::escape_html;

/// Builds an email; `base` is the public URL of the portal (`https://portal.example.com`).
pub fn build(lang: Lang, to: &str, base: &str, msg: Message<'_>) -> Email {
    let base = base.trim_end_matches('/');
    let (subject, body, link) = match msg {
        Message::Invitation { name, username, temp_password, expires_at } => (
            lang.t(K::EmailInviteSubject).to_string(),
            lang.tf(
                K::EmailInviteBody,
                &[
                    ("name", name),
                    ("username", username),
                    ("password", temp_password),
                    ("expires", &format_utc(expires_at)),
                ],
            ),
            Some(format!("{base}{}", crate::routes::LOGIN)),
        ),
        Message::Code { code } => (
            lang.tf(K::EmailCodeSubject, &[("code", code)]),
            lang.tf(K::EmailCodeBody, &[("code", code), ("minutes", &(super::limits::CODE_TTL / 60).to_string())]),
            None,
        ),
        Message::Locked { until } => (
            lang.t(K::EmailLockedSubject).to_string(),
            lang.tf(K::EmailLockedBody, &[("until", &format_utc(until))]),
            Some(format!("{base}{}", crate::routes::FORGOT_PASSWORD)),
        ),
        Message::Reset { token } => (
            lang.t(K::EmailResetSubject).to_string(),
            lang.tf(K::EmailResetBody, &[("hours", &(super::limits::RESET_TTL / 3600).to_string())]),
            Some(format!("{base}{}?token={token}", crate::routes::RESET_PASSWORD)),
        ),
        Message::Changed { what } => {
            (lang.t(K::EmailChangedSubject).to_string(), lang.tf(K::EmailChangedBody, &[("what", lang.t(what))]), None)
        }
    };
    let footer = lang.t(K::EmailFooter);
    let mut text = body.clone();
    if let Some(link) = &link {
        text.push_str(&format!("\n\n{link}"));
    }
    text.push_str(&format!("\n\n-- \n{footer}\n"));
    let paragraphs: String =
        body.split("\n\n").map(|p| format!("<p>{}</p>", escape_html(p).replace('\n', "<br>"))).collect();
    let link_html = link.map(|l| format!("<p><a href=\"{0}\">{0}</a></p>", escape_html(&l))).unwrap_or_default();
    let html = format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;line-height:1.5\">{paragraphs}{link_html}\
         <p style=\"color:#555;font-size:0.9em\">{}</p></body></html>",
        lang.code(),
        escape_html(&subject),
        escape_html(footer)
    );
    Email { to: to.to_string(), subject, text, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitation_carries_username_password_and_a_link_from_the_public_url() {
        let e = build(
            Lang::En,
            "ada@example.com",
            "https://portal.example.com/",
            Message::Invitation { name: "Ada", username: "ada", temp_password: "abcde-fghjk", expires_at: 0 },
        );
        assert!(e.text.contains("ada") && e.text.contains("abcde-fghjk"));
        assert!(e.text.contains("https://portal.example.com/login"));
        assert!(e.html.contains("<a href=\"https://portal.example.com/login\">"));
    }

    #[test]
    fn html_is_escaped_and_translated() {
        let e = build(
            Lang::It,
            "x@example.com",
            "http://h",
            Message::Invitation { name: "<b>", username: "u", temp_password: "p", expires_at: 0 },
        );
        assert!(e.html.contains("&lt;b&gt;") && !e.html.contains("<b>"));
        assert_eq!(e.subject, Lang::It.t(K::EmailInviteSubject));
    }
}
