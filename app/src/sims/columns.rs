//! The columns of the SIM list: the SIM's own and the info fields, which a user shows, orders
//! and sorts on.
use serde::{Deserialize, Serialize};

use crate::codes::code_enum;
use crate::i18n::K;

code_enum! {
    /// A column of the SIM list. Every column can be shown, ordered and sorted on.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum Column {
        Iccid = "iccid",
        Msisdn = "msisdn",
        Imsi = "imsi",
        Imei = "imei",
        Label = "label",
        Status = "status",
        Customer = "customer",
        Plan = "plan",
        Data = "data",
        Sms = "sms",
        Voice = "voice",
        LastSession = "last_session",
        Activated = "activated",
    }
}

impl Column {
    /// What a new user sees until they choose.
    pub const DEFAULT: [Column; 9] = [
        Column::Iccid,
        Column::Msisdn,
        Column::Label,
        Column::Status,
        Column::Customer,
        Column::Plan,
        Column::Data,
        Column::LastSession,
        Column::Activated,
    ];

    /// The column's key in addresses and saved lists.
    pub fn key(self) -> &'static str {
        self.code()
    }

    /// The column's name, the same words the "SIM overview terms" page explains.
    pub fn label(self) -> K {
        match self {
            Column::Iccid => K::HelpSimtermsColIccidTerm,
            Column::Msisdn => K::HelpSimtermsColMsisdnTerm,
            Column::Imsi => K::HelpSimtermsColImsiTerm,
            Column::Imei => K::HelpSimtermsColImeiTerm,
            Column::Label => K::HelpSimtermsColLabelTerm,
            Column::Status => K::HelpSimtermsColStatusTerm,
            Column::Customer => K::HelpSimtermsColCustomerTerm,
            Column::Plan => K::HelpSimtermsColRatePlanTerm,
            Column::Data => K::HelpSimtermsColDataUsedTerm,
            Column::Sms => K::HelpSimtermsColSmsUsedTerm,
            Column::Voice => K::HelpSimtermsColVoiceUsedTerm,
            Column::LastSession => K::HelpSimtermsColLastSessionTerm,
            Column::Activated => K::HelpSimtermsColActivationDateTerm,
        }
    }

    /// Whether a sort key of this column is a number (else text).
    pub fn numeric(self) -> bool {
        matches!(
            self,
            Column::Customer
                | Column::Plan
                | Column::Data
                | Column::Sms
                | Column::Voice
                | Column::LastSession
                | Column::Activated
        )
    }
}

/// A column the list shows: one of the SIM's own, or a SIM info field an administrator
/// defined (`f<id>` in a saved list).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Shown {
    Sim(Column),
    Field(i64),
}

impl Shown {
    pub fn key(self) -> String {
        match self {
            Shown::Sim(c) => c.key().to_string(),
            Shown::Field(id) => format!("f{id}"),
        }
    }

    pub fn parse(s: &str) -> Option<Shown> {
        match s.strip_prefix('f').and_then(|id| id.parse::<i64>().ok()) {
            Some(id) if id > 0 => Some(Shown::Field(id)),
            _ => Column::parse(s).map(Shown::Sim),
        }
    }

    /// The default columns.
    pub fn defaults() -> Vec<Shown> {
        Column::DEFAULT.into_iter().map(Shown::Sim).collect()
    }

    /// Parses a saved or submitted column list (`iccid,status,f3,…`): unknown and repeated
    /// keys are dropped, and so are fields `known` does not accept (deleted, or of another
    /// tree); an empty result falls back to the default.
    pub fn parse_list(s: &str, known: impl Fn(i64) -> bool) -> Vec<Shown> {
        let mut out: Vec<Shown> = Vec::new();
        for c in s.split(',').filter_map(|k| Shown::parse(k.trim())) {
            let ok = match c {
                Shown::Sim(_) => true,
                Shown::Field(id) => known(id),
            };
            if ok && !out.contains(&c) && out.len() < MAX_SHOWN {
                out.push(c);
            }
        }
        if out.is_empty() { Shown::defaults() } else { out }
    }

    pub fn list_key(cols: &[Shown]) -> String {
        cols.iter().map(|c| c.key()).collect::<Vec<_>>().join(",")
    }
}

/// Columns a list shows at most: every SIM column and a few fields.
pub const MAX_SHOWN: usize = 30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_lists_drop_unknown_and_repeated_keys() {
        let any = |_| true;
        assert_eq!(
            Shown::parse_list("status,iccid,status,nope", any),
            vec![Shown::Sim(Column::Status), Shown::Sim(Column::Iccid)]
        );
        assert_eq!(Shown::parse_list("", any), Shown::defaults());
    }

    #[test]
    fn column_lists_keep_only_known_fields_in_their_place() {
        let known = |id| id == 3;
        assert_eq!(
            Shown::parse_list("iccid,f3,f4,f0,fx,f3,label", known),
            vec![Shown::Sim(Column::Iccid), Shown::Field(3), Shown::Sim(Column::Label)]
        );
        assert_eq!(Shown::list_key(&[Shown::Field(3), Shown::Sim(Column::Data)]), "f3,data");
    }
}
