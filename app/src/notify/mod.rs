//! Notifications: rules per customer tree, evaluated where their events happen (usage ingest,
//! journaled changes, a periodic sweep for idle SIMs), each occurrence recorded once under a
//! unique key, and told to the rule's recipients in the portal (the bell, the history) and by
//! email (a durable queue sent after commit).
use serde::{Deserialize, Serialize};

use crate::codes::code_enum;
use crate::i18n::{K, Lang};
use crate::scope::Role;
use crate::sims::SimStatus;

pub mod api;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod eval;
#[cfg(feature = "ssr")]
pub mod forms;
pub mod ui;

code_enum! {
    /// What a rule watches.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum RuleKind {
        /// Each SIM's usage in the billing cycle against a threshold or its plan's allowance.
        UsageSim = "usage_sim",
        /// A customer service's usage (all its SIMs) against a fixed pool: an amount, or a
        /// percentage of the plan's allowance taken once, whatever the number of SIMs.
        PoolStatic = "pool_static",
        /// A customer service's usage against the plan's allowance times its activated SIMs.
        PoolDynamic = "pool_dynamic",
        /// A SIM changing status (to any status, or to one).
        Status = "status",
        /// An activated SIM without a session for N days.
        NoSession = "no_session",
        /// Lockouts, second factors added or removed, phone numbers changed.
        Security = "security",
        /// A locked SIM seen in another device (IMEI lock: locked → differed).
        ImeiLock = "imei_lock",
    }
}

impl RuleKind {
    /// Rules on usage: a threshold, a metric, a service, an action.
    pub fn is_usage(self) -> bool {
        matches!(self, RuleKind::UsageSim | RuleKind::PoolStatic | RuleKind::PoolDynamic)
    }

    pub fn label(self) -> K {
        match self {
            RuleKind::UsageSim => K::NotifKindUsageSim,
            RuleKind::PoolStatic => K::NotifKindPoolStatic,
            RuleKind::PoolDynamic => K::NotifKindPoolDynamic,
            RuleKind::Status => K::NotifKindStatus,
            RuleKind::NoSession => K::NotifKindNoSession,
            RuleKind::Security => K::NotifKindSecurity,
            RuleKind::ImeiLock => K::NotifKindImeiLock,
        }
    }
}

/// Journal actions a security rule reports.
pub const SECURITY_ACTIONS: &[&str] = &[
    "account.locked",
    "mfa.device_added",
    "mfa.device_removed",
    "mfa.email_off",
    "mfa.recovery_code_used",
    "phone.verified",
    "phone.removed",
    "email.changed",
    "password.reset",
    "signin.new_device",
];

code_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Metric {
        Data = "data",
        Sms = "sms",
        Voice = "voice",
    }
}

code_enum! {
    /// What happens to a SIM whose usage crosses the threshold.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum SimAction {
        None = "none",
        Suspend = "suspend",
        Deactivate = "deactivate",
    }
}

impl SimAction {
    pub fn status(self) -> Option<SimStatus> {
        match self {
            SimAction::None => None,
            SimAction::Suspend => Some(SimStatus::Suspended),
            SimAction::Deactivate => Some(SimStatus::Deactivated),
        }
    }
}

/// Who is told.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipients {
    #[serde(default)]
    pub users: Vec<i64>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
}

/// A rule as parsed from the form: every value checked, thresholds in base units (bytes,
/// messages, seconds) or percent of the allowance, or days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRule {
    pub customer_id: i64,
    pub name: String,
    pub kind: RuleKind,
    pub metric: Option<Metric>,
    pub threshold: Option<i64>,
    pub percent: bool,
    pub service_id: Option<i64>,
    pub status: Option<SimStatus>,
    pub action: SimAction,
    pub recipients: Recipients,
    pub in_app: bool,
    pub email: bool,
}

/// The unit a usage threshold is typed in.
pub const UNITS: &[&str] = &["MB", "GB", "messages", "minutes", "percent"];

pub const MAX_NAME: usize = 80;
pub const MAX_EMAILS: usize = 20;

code_enum! {
    /// What is wrong with one field of the rule form; the code is the message's key suffix.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Problem {
        Missing = "missing",
        TooLong = "too_long",
        Unknown = "unknown",
        OutOfRange = "out_of_range",
        BadEmail = "bad_email",
        NoRecipient = "no_recipient",
        NoChannel = "no_channel",
    }
}

impl Problem {
    pub fn text(self) -> K {
        match self {
            Problem::Missing => K::NotifBadMissing,
            Problem::TooLong => K::NotifBadTooLong,
            Problem::Unknown => K::NotifBadUnknown,
            Problem::OutOfRange => K::NotifBadRange,
            Problem::BadEmail => K::NotifBadEmail,
            Problem::NoRecipient => K::NotifBadNoRecipient,
            Problem::NoChannel => K::NotifBadNoChannel,
        }
    }
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
        && !domain.contains('@')
        && s.len() <= 254
}

impl NewRule {
    /// Parses the rule form (`name`, `kind`, `customer`, `metric`, `amount`, `unit`, `service`,
    /// `status`, `days`, `action`, `users`, `roles`, `emails`, `in_app`, `email`). Every bad
    /// field is named; nothing is guessed.
    pub fn parse(pairs: &[(String, String)]) -> Result<NewRule, Vec<(String, Problem)>> {
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
        fn all<'a>(pairs: &'a [(String, String)], k: &'a str) -> impl Iterator<Item = &'a str> {
            pairs.iter().filter(move |(n, _)| n == k).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
        }
        let mut errors: Vec<(String, Problem)> = Vec::new();
        let mut bad = |f: &str, p: Problem| errors.push((f.to_string(), p));
        let name = match get("name") {
            None => {
                bad("name", Problem::Missing);
                String::new()
            }
            Some(n) if n.chars().count() > MAX_NAME => {
                bad("name", Problem::TooLong);
                String::new()
            }
            Some(n) => n.to_string(),
        };
        let customer_id = match get("customer").map(str::parse::<i64>) {
            Some(Ok(id)) if id > 0 => id,
            None => {
                bad("customer", Problem::Missing);
                0
            }
            _ => {
                bad("customer", Problem::Unknown);
                0
            }
        };
        let kind = match get("kind").map(RuleKind::parse) {
            Some(Some(k)) => Some(k),
            Some(None) => {
                bad("kind", Problem::Unknown);
                None
            }
            None => {
                bad("kind", Problem::Missing);
                None
            }
        };
        let (mut metric, mut threshold, mut percent, mut service_id, mut status) = (None, None, false, None, None);
        let mut action = SimAction::None;
        match kind {
            Some(k) if k.is_usage() => {
                metric = match get("metric").map(Metric::parse) {
                    Some(Some(m)) => Some(m),
                    Some(None) => {
                        bad("metric", Problem::Unknown);
                        None
                    }
                    None => {
                        bad("metric", Problem::Missing);
                        None
                    }
                };
                let unit = get("unit").unwrap_or("");
                let amount = get("amount").map(|a| a.replace(',', ".").parse::<f64>());
                let factor: Option<f64> = match (metric, unit) {
                    (_, "percent") => Some(1.0),
                    (Some(Metric::Data), "MB") => Some(1_000_000.0),
                    (Some(Metric::Data), "GB") => Some(1_000_000_000.0),
                    (Some(Metric::Sms), "messages") => Some(1.0),
                    (Some(Metric::Voice), "minutes") => Some(60.0),
                    (None, _) => None,
                    _ => {
                        bad("unit", Problem::Unknown);
                        None
                    }
                };
                percent = unit == "percent";
                match amount {
                    None => bad("amount", Problem::Missing),
                    Some(Err(_)) => bad("amount", Problem::Unknown),
                    Some(Ok(a)) => {
                        let max = if percent { 1_000.0 } else { 1e15 };
                        if let Some(f) = factor {
                            let v = (a * f).round();
                            if !(a > 0.0 && v >= 1.0 && v <= max) {
                                bad("amount", Problem::OutOfRange);
                            } else {
                                threshold = Some(v as i64);
                            }
                        }
                    }
                }
                service_id = match get("service").map(str::parse::<i64>) {
                    // A pool is a customer service's: it needs one.
                    None if k != RuleKind::UsageSim => {
                        bad("service", Problem::Missing);
                        None
                    }
                    None => None,
                    Some(Ok(id)) if id > 0 => Some(id),
                    Some(_) => {
                        bad("service", Problem::Unknown);
                        None
                    }
                };
                action = match get("action").map(SimAction::parse) {
                    None => SimAction::None,
                    Some(Some(a)) => a,
                    Some(None) => {
                        bad("action", Problem::Unknown);
                        SimAction::None
                    }
                };
            }
            Some(RuleKind::Status) => {
                status = match get("status").map(SimStatus::parse) {
                    None => None,
                    Some(Some(s)) => Some(s),
                    Some(None) => {
                        bad("status", Problem::Unknown);
                        None
                    }
                };
            }
            Some(RuleKind::NoSession) => match get("days").map(str::parse::<i64>) {
                Some(Ok(d)) if (1..=365).contains(&d) => threshold = Some(d),
                None => bad("days", Problem::Missing),
                _ => bad("days", Problem::OutOfRange),
            },
            // The one action a lock that differs can take: suspend the SIM.
            Some(RuleKind::ImeiLock) => {
                action = match get("action").map(SimAction::parse) {
                    None | Some(Some(SimAction::None)) => SimAction::None,
                    Some(Some(SimAction::Suspend)) => SimAction::Suspend,
                    Some(_) => {
                        bad("action", Problem::Unknown);
                        SimAction::None
                    }
                };
            }
            Some(RuleKind::Security | RuleKind::UsageSim | RuleKind::PoolStatic | RuleKind::PoolDynamic) | None => {}
        }
        let mut recipients = Recipients::default();
        for u in all(pairs, "users") {
            match u.parse::<i64>() {
                Ok(id) if id > 0 => recipients.users.push(id),
                _ => bad("users", Problem::Unknown),
            }
        }
        for r in all(pairs, "roles") {
            match Role::parse(r) {
                Some(role) => recipients.roles.push(role.code().to_string()),
                None => bad("roles", Problem::Unknown),
            }
        }
        for e in
            all(pairs, "emails").flat_map(|v| v.split([',', ';', '\n', ' '])).map(str::trim).filter(|e| !e.is_empty())
        {
            if is_email(e) {
                recipients.emails.push(e.to_lowercase());
            } else {
                bad("emails", Problem::BadEmail);
            }
        }
        if recipients.emails.len() > MAX_EMAILS {
            bad("emails", Problem::TooLong);
        }
        recipients.users.sort_unstable();
        recipients.users.dedup();
        recipients.roles.sort();
        recipients.roles.dedup();
        recipients.emails.sort();
        recipients.emails.dedup();
        if recipients == Recipients::default() {
            bad("recipients", Problem::NoRecipient);
        }
        let in_app = get("in_app").is_some();
        let email = get("email").is_some();
        if !in_app && !email {
            bad("channels", Problem::NoChannel);
        }
        if !recipients.emails.is_empty() && !email {
            // Extra addresses have no in-app inbox: they only make sense with email on.
            bad("emails", Problem::NoChannel);
        }
        match kind {
            Some(kind) if errors.is_empty() => Ok(NewRule {
                customer_id,
                name,
                kind,
                metric,
                threshold,
                percent,
                service_id,
                status,
                action,
                recipients,
                in_app,
                email,
            }),
            _ => Err(errors),
        }
    }
}

/// A notification as the bell and the history show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRow {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub message: String,
    pub sim_id: Option<i64>,
    pub iccid: Option<String>,
    pub read: bool,
    pub rule: String,
    pub details: String,
}

/// The words of a notification in `lang`, from its kind and stored details.
pub fn describe(lang: Lang, kind: &str, details: &serde_json::Value) -> String {
    let s = |k: &str| details.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let n = |k: &str| details.get(k).and_then(serde_json::Value::as_i64).unwrap_or(0);
    match kind {
        "usage_sim" | "pool_static" | "pool_dynamic" => {
            let metric = s("metric");
            let amount = |v: i64| match metric.as_str() {
                "data" => format!("{:.1} MB", v as f64 / 1e6),
                "voice" => format!("{} min", v / 60),
                _ => v.to_string(),
            };
            // A SIM's usage names the SIM, a pool's the customer service.
            let (key, who, name) = match kind {
                "usage_sim" => (K::NotifMsgUsage, "iccid", s("iccid")),
                _ => (K::NotifMsgPool, "service", s("service")),
            };
            lang.tf(
                key,
                &[(who, &name), ("value", &amount(n("value"))), ("limit", &amount(n("limit"))), ("metric", &metric)],
            )
        }
        "status" => lang.tf(K::NotifMsgStatus, &[("iccid", &s("iccid")), ("from", &s("from")), ("to", &s("to"))]),
        "no_session" => lang.tf(K::NotifMsgIdle, &[("iccid", &s("iccid")), ("days", &n("days").to_string())]),
        "imei_lock" => {
            lang.tf(K::NotifMsgImeiLock, &[("iccid", &s("iccid")), ("imei", &s("imei")), ("seen", &s("seen"))])
        }
        _ => lang.tf(K::NotifMsgSecurity, &[("what", &s("action")), ("who", &s("target"))]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(s: &str) -> Vec<(String, String)> {
        crate::util::parse_query(s)
    }

    #[test]
    fn a_usage_rule_parses_into_base_units() {
        let r = NewRule::parse(&form(
            "name=Big%20users&customer=3&kind=usage_sim&metric=data&amount=1.5&unit=GB&action=suspend&roles=customer_admin&in_app=1",
        ))
        .unwrap();
        assert_eq!((r.threshold, r.percent, r.action), (Some(1_500_000_000), false, SimAction::Suspend));
        let p = NewRule::parse(&form(
            "name=x&customer=3&kind=usage_sim&metric=voice&amount=80&unit=percent&users=4&email=1&emails=a%40b.co",
        ))
        .unwrap();
        assert_eq!((p.threshold, p.percent), (Some(80), true));
        assert_eq!(p.recipients.emails, vec!["a@b.co".to_string()]);
    }

    #[test]
    fn bad_rules_name_every_field() {
        let errors = NewRule::parse(&form(
            "customer=x&kind=usage_sim&metric=fuel&amount=-3&unit=GB&action=explode&roles=king&emails=nope",
        ))
        .unwrap_err();
        let named: Vec<(&str, Problem)> = errors.iter().map(|(f, p)| (f.as_str(), *p)).collect();
        for expected in [
            ("name", Problem::Missing),
            ("customer", Problem::Unknown),
            ("metric", Problem::Unknown),
            ("action", Problem::Unknown),
            ("roles", Problem::Unknown),
            ("emails", Problem::BadEmail),
            ("channels", Problem::NoChannel),
        ] {
            assert!(named.contains(&expected), "{expected:?} in {named:?}");
        }
        let range = NewRule::parse(&form("name=x&customer=1&kind=no_session&days=900&users=1&in_app=1")).unwrap_err();
        assert_eq!(range, vec![("days".to_string(), Problem::OutOfRange)]);
        let nobody = NewRule::parse(&form("name=x&customer=1&kind=security&in_app=1")).unwrap_err();
        assert_eq!(nobody, vec![("recipients".to_string(), Problem::NoRecipient)]);
        let pct = NewRule::parse(&form(
            "name=x&customer=1&kind=usage_sim&metric=sms&amount=5000&unit=percent&users=1&in_app=1",
        ));
        assert!(pct.is_err(), "over 1000 %");
    }
}
