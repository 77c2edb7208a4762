//! What happens in one feature's transaction that another feature answers in the same
//! transaction, without the first depending on the second: usage records arrive (the SIMs
//! follow their device; usage rules look at the counters), a locked SIM shows up in another
//! device (IMEI lock rules raise and act). The feature that records calls [`reactions`]; the
//! features that answer are wired once at start-up ([`wire`], from `startup`), above them all.
//! Calling a reaction before the wiring is a bug that panics, never a silent no-op.
//!
//! Events that may be answered after their transaction (journaled changes) are not here: the
//! notification worker follows the journal itself (see `notify::eval::follow_journal`).
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use crate::db::WriteTx;

/// A reaction's work, on the caller's transaction.
pub type Work<'a> = Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + 'a>>;

/// Usage of `sims` (sorted) was filed in the billing cycle starting on day `cycle`, at `now`.
pub type UsageFiled = for<'a> fn(&'a mut WriteTx, &'a [i64], i64, i64) -> Work<'a>;

/// The network saw a SIM in a device: (SIM id, IMEI or IMEISV as reported, when).
pub type DeviceSeen = for<'a> fn(&'a mut WriteTx, i64, &'a str, i64) -> Work<'a>;

/// A SIM whose IMEI lock is on was seen in another device than the one it is bound to.
#[derive(Clone, Copy, Debug)]
pub struct DeviceDiffered<'a> {
    pub sim: i64,
    pub customer: i64,
    pub iccid: &'a str,
    /// The device the SIM is bound to, and the one it was seen in.
    pub bound: Option<&'a str>,
    pub seen: Option<&'a str>,
    pub at: i64,
}

pub type OnDeviceDiffered = for<'a> fn(&'a mut WriteTx, DeviceDiffered<'a>) -> Work<'a>;

/// Every reaction, each answering one kind of event.
#[derive(Clone, Copy)]
pub struct Reactions {
    pub usage_filed: UsageFiled,
    pub device_seen: DeviceSeen,
    pub device_differed: OnDeviceDiffered,
}

static REACTIONS: OnceLock<Reactions> = OnceLock::new();

/// Wires the reactions; the first wiring of the process stays (every caller wires the same).
pub fn wire(r: Reactions) {
    let _ = REACTIONS.set(r);
}

/// The reactions wired at start-up.
pub fn reactions() -> &'static Reactions {
    REACTIONS.get().expect("events::wire runs at start-up, before any record is filed")
}
