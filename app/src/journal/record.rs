//! Recording a change in the journal. An entry is recorded on the write transaction of the
//! change and appended when that transaction commits, as the last thing it does
//! ([`WriteTx::at_commit`]): the change and its entry land together or not at all, and the
//! journal's head row, which every appender locks, is always the last lock a transaction takes.
use crate::db::WriteTx;

use super::chain::{self, Content};

/// One entry: who (`actor_id`), in which customer's tree, did what (`action`, e.g.
/// `sim.status`) to what (`target`), with details (JSON).
pub struct JournalEntry<'a> {
    pub at: i64,
    pub actor_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub action: &'a str,
    pub target: &'a str,
    pub details: String,
}

impl<'a> JournalEntry<'a> {
    /// An event by `actor` in `customer`'s tree, without details.
    pub fn new(at: i64, actor: i64, customer: i64, action: &'a str, target: &'a str) -> JournalEntry<'a> {
        JournalEntry { at, actor_id: Some(actor), customer_id: Some(customer), action, target, details: "{}".into() }
    }

    pub fn with(mut self, details: serde_json::Value) -> JournalEntry<'a> {
        self.details = details.to_string();
        self
    }
}

/// Records `e` on `tx`, with the address of the request being served; it is appended (chained,
/// see [`chain`]) when `tx` commits.
pub fn record(tx: &mut WriteTx, e: JournalEntry<'_>) {
    let ip = chain::request_ip();
    let (at, actor_id, customer_id) = (e.at, e.actor_id, e.customer_id);
    let (action, target, details) = (e.action.to_string(), e.target.to_string(), e.details);
    tx.at_commit(Box::new(move |conn| {
        Box::pin(async move {
            let c = Content {
                at,
                actor_id,
                customer_id,
                action: &action,
                target: &target,
                details: &details,
                ip: ip.as_deref(),
            };
            chain::append(conn, &c).await?;
            Ok(())
        })
    }));
}
