//! What a bulk-change form says: the action and which SIMs (ticked ones, or every SIM the
//! list's filter matches). Parsed the same way for the confirmation page and the post.
use super::SimStatus;
use super::model::BulkAction;
use super::query::SimQuery;

/// The most SIMs that can be ticked on one page (the largest page size).
pub const MAX_TICKED: usize = 250;

#[derive(Clone, Debug, PartialEq)]
pub enum Chosen {
    Ids(Vec<i64>),
    /// Every SIM of the list with this query.
    Filter(Box<SimQuery>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct BulkRequest {
    pub action: BulkAction,
    pub chosen: Chosen,
    /// The list's query, to return to it.
    pub query: String,
}

/// Why a bulk form was refused; each is a notice on the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BulkProblem {
    NothingChosen,
    BadAction,
    ReasonRequired,
    BadFilter,
}

pub fn parse(pairs: &[(String, String)]) -> Result<BulkRequest, BulkProblem> {
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let id = |k: &str| get(k).parse::<i64>().ok().filter(|v| *v > 0);
    let action = match get("action").as_str() {
        "status" => {
            let to = SimStatus::parse(&get("to")).ok_or(BulkProblem::BadAction)?;
            let reason: String = get("reason").chars().take(super::query::MAX_SEARCH * 2).collect();
            if to == SimStatus::Suspended && reason.is_empty() {
                return Err(BulkProblem::ReasonRequired);
            }
            BulkAction::Status { to, reason }
        }
        "service" => BulkAction::Service { service: id("service").ok_or(BulkProblem::BadAction)? },
        "assign" => {
            BulkAction::Assign { customer: id("customer").ok_or(BulkProblem::BadAction)?, service: id("service") }
        }
        _ => return Err(BulkProblem::BadAction),
    };
    let query = get("query");
    let chosen = if get("all") == "1" {
        let q = SimQuery::parse(&crate::util::parse_query(&query)).map_err(|_| BulkProblem::BadFilter)?;
        Chosen::Filter(Box::new(q))
    } else {
        let mut ids: Vec<i64> =
            pairs.iter().filter(|(k, _)| k == "sim").filter_map(|(_, v)| v.trim().parse::<i64>().ok()).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Err(BulkProblem::NothingChosen);
        }
        if ids.len() > MAX_TICKED {
            return Err(BulkProblem::BadFilter);
        }
        Chosen::Ids(ids)
    };
    Ok(BulkRequest { action, chosen, query })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::parse_query;

    #[test]
    fn ticked_sims_or_the_whole_filter() {
        let r = parse(&parse_query("action=status&to=activated&sim=3&sim=1&sim=3&query=status%3Dsuspended")).unwrap();
        assert_eq!(r.chosen, Chosen::Ids(vec![1, 3]));
        let r = parse(&parse_query("action=service&service=4&all=1&query=status%3Dsuspended")).unwrap();
        assert!(matches!(r.chosen, Chosen::Filter(ref q) if q.statuses == vec![SimStatus::Suspended]));
        assert_eq!(r.action, BulkAction::Service { service: 4 });
    }

    #[test]
    fn incomplete_forms_are_refused() {
        assert_eq!(parse(&parse_query("action=status&to=activated")), Err(BulkProblem::NothingChosen));
        assert_eq!(parse(&parse_query("action=status&to=suspended&sim=1")), Err(BulkProblem::ReasonRequired));
        assert_eq!(parse(&parse_query("action=delete&sim=1")), Err(BulkProblem::BadAction));
        assert_eq!(parse(&parse_query("action=status&to=activated&all=1&query=size%3D7")), Err(BulkProblem::BadFilter));
    }
}
