//! The one way to write. SQLite lets one writer at a time hold its write lock, and a
//! transaction that reads first and writes later cannot take the lock while another writer
//! holds it: it fails at once with "database is locked" instead of waiting. So every write
//! goes through [`Db::write`](super::Db::write) (a transaction) or [`Db::writer`](super::Db::writer)
//! (single statements), which on SQLite first take this process's turn at the gate (first come,
//! first served, waiting at most the configured time), then the database's own write lock
//! (`BEGIN IMMEDIATE`, waiting under `busy_timeout` for other processes). The pool that
//! reads hands out `query_only` connections on SQLite, so a write that skips the gate fails
//! in the tests of either engine instead of racing in production.
//!
//! A wait that runs out is [`sqlx::Error::PoolTimedOut`]: the caller answers "busy, try
//! again" (503 with `Retry-After` on the API), never a 500, and nothing was written. How long
//! each writer held the gate is measured, so long background writers show up in the log and
//! in the bench (see [`GateStats`]).
use std::collections::HashMap;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Transaction};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a writer may hold the gate while others wait before the log says so.
pub const LONG_HOLD: Duration = Duration::from_millis(250);

/// The first-come, first-served turns of this process's writers: one at a time on SQLite (its
/// one writer), on PostgreSQL half the pool, so that writers (which may read beside their
/// transaction) can never hold every connection while each waits for one more.
#[derive(Debug)]
pub struct Gate {
    turn: Arc<Semaphore>,
    /// How long a writer waits for its turn before giving up.
    wait: AtomicU64,
    waiting: AtomicUsize,
    /// The tasks holding a turn, to catch a write opened inside another of the same task (with
    /// one turn it would wait for itself).
    holders: Mutex<Vec<tokio::task::Id>>,
    stats: Mutex<HashMap<&'static str, Held>>,
    /// Told after each committed write transaction, so that followers of the journal (the
    /// notification worker) look at once instead of at their next tick.
    committed: tokio::sync::Notify,
}

/// What one kind of writer (named by where it opened the write) did at the gate.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Held {
    pub writes: u64,
    /// The longest hold, and the longest hold during which another writer was waiting.
    pub longest: Duration,
    pub longest_while_waited: Duration,
    pub longest_wait: Duration,
}

/// Hold times per writer, longest first.
pub type GateStats = Vec<(&'static str, Held)>;

impl Gate {
    pub fn new(wait: Duration, turns: usize) -> Gate {
        Gate {
            turn: Arc::new(Semaphore::new(turns.max(1))),
            wait: AtomicU64::new(wait.as_millis() as u64),
            waiting: AtomicUsize::new(0),
            holders: Mutex::new(Vec::new()),
            stats: Mutex::new(HashMap::new()),
            committed: tokio::sync::Notify::new(),
        }
    }

    /// Resolves after the next committed write transaction (or at once, when one committed
    /// since the last call: the one follower keeps a permit).
    pub async fn committed(&self) {
        self.committed.notified().await
    }

    pub fn set_wait(&self, wait: Duration) {
        self.wait.store(wait.as_millis().max(1) as u64, Ordering::Relaxed);
    }

    pub fn wait(&self) -> Duration {
        Duration::from_millis(self.wait.load(Ordering::Relaxed))
    }

    /// Writers waiting for their turn now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    pub fn stats(&self) -> GateStats {
        let mut v: GateStats =
            self.stats.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(k, v)| (*k, *v)).collect();
        v.sort_by(|a, b| b.1.longest_while_waited.cmp(&a.1.longest_while_waited).then(b.1.longest.cmp(&a.1.longest)));
        v
    }

    pub fn reset_stats(&self) {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Waits for this process's turn, at most the configured time.
    pub async fn enter(self: &Arc<Gate>, at: &'static Location<'static>) -> Result<Turn, sqlx::Error> {
        self.enter_within(at, self.wait()).await
    }

    /// Waits for a turn at most `wait`.
    pub async fn enter_within(
        self: &Arc<Gate>,
        at: &'static Location<'static>,
        wait: Duration,
    ) -> Result<Turn, sqlx::Error> {
        let me = tokio::task::try_id();
        if me.is_some_and(|id| self.holders.lock().unwrap_or_else(|e| e.into_inner()).contains(&id)) {
            // A write opened while this task holds another would wait for itself until the
            // timeout: a bug, said at once.
            tracing::error!(at = %at, "a write was opened inside another write of the same task");
            return Err(sqlx::Error::Protocol(format!("nested write at {at}")));
        }
        let started = Instant::now();
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let permit = tokio::time::timeout(wait, self.turn.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        let waited = started.elapsed();
        let permit = match permit {
            Ok(Ok(p)) => p,
            Ok(Err(_)) => return Err(sqlx::Error::PoolClosed),
            Err(_) => {
                tracing::warn!(at = %at, waited_ms = waited.as_millis() as u64, waiting = self.waiting(),
                    "the database's writer stayed busy longer than a write may wait; the change was refused as busy");
                return Err(sqlx::Error::PoolTimedOut);
            }
        };
        if let Some(id) = me {
            self.holders.lock().unwrap_or_else(|e| e.into_inner()).push(id);
        }
        Ok(Turn { _permit: permit, gate: self.clone(), at, since: Instant::now(), waited, saw_waiter: false, task: me })
    }
}

/// A writer's turn at the gate; ends (and is measured) when dropped.
#[derive(Debug)]
pub struct Turn {
    _permit: OwnedSemaphorePermit,
    gate: Arc<Gate>,
    at: &'static Location<'static>,
    since: Instant,
    waited: Duration,
    saw_waiter: bool,
    task: Option<tokio::task::Id>,
}

impl Turn {
    /// Whether someone is waiting for the writer now (a long writer should finish soon).
    pub fn someone_waits(&mut self) -> bool {
        let w = self.gate.waiting() > 0;
        self.saw_waiter |= w;
        w
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let held = self.since.elapsed();
        let waited_on = self.someone_waits();
        if let Some(id) = self.task {
            let mut holders = self.gate.holders.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(i) = holders.iter().position(|h| *h == id) {
                holders.swap_remove(i);
            }
        }
        let name = self.at.file();
        let mut stats = self.gate.stats.lock().unwrap_or_else(|e| e.into_inner());
        let s = stats.entry(name).or_default();
        s.writes += 1;
        s.longest = s.longest.max(held);
        s.longest_wait = s.longest_wait.max(self.waited);
        if waited_on {
            s.longest_while_waited = s.longest_while_waited.max(held);
        }
        drop(stats);
        if waited_on && held > LONG_HOLD {
            tracing::warn!(at = %self.at, held_ms = held.as_millis() as u64, "a write held the database's writer while others waited");
        }
    }
}

/// Work a transaction does last, just before it commits.
pub type Hook = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<(), sqlx::Error>> + Send>;

/// A write transaction. Commit it, or it rolls back when dropped. Derefs to the connection,
/// so `&mut *tx` is an executor and `&mut tx` passes as `&mut AnyConnection`.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    turn: Option<Turn>,
    last: Vec<Hook>,
}

impl std::fmt::Debug for WriteTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTx").field("turn", &self.turn).field("last", &self.last.len()).finish()
    }
}

impl WriteTx {
    pub(super) fn new(tx: Transaction<'static, Any>, turn: Option<Turn>) -> WriteTx {
        WriteTx { tx, turn, last: Vec::new() }
    }

    /// Runs `hook` at commit, after everything else the transaction did, in the order added.
    /// What locks a row every writer needs (the journal's head, see `journal::record`) goes
    /// here: it is then the last lock any transaction takes, so writers queue for it instead
    /// of each holding a row the other waits for (a deadlock on PostgreSQL).
    pub fn at_commit(&mut self, hook: Hook) {
        self.last.push(hook);
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        let WriteTx { mut tx, turn, last } = self;
        for hook in last {
            hook(&mut tx).await?;
        }
        let done = tx.commit().await;
        if let (Ok(()), Some(turn)) = (&done, &turn) {
            turn.gate.committed.notify_one();
        }
        drop(turn);
        done
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        let WriteTx { tx, turn, .. } = self;
        let done = tx.rollback().await;
        drop(turn);
        done
    }

    /// Whether another writer of this process waits for this one (always false on PostgreSQL,
    /// where writers do not queue behind one another).
    pub fn someone_waits(&mut self) -> bool {
        self.turn.as_mut().is_some_and(Turn::someone_waits)
    }
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

/// A connection for single write statements, each committed on its own (SQLite: holding this
/// process's turn). Derefs to the connection: `.execute(&mut *db.writer().await?)`.
#[derive(Debug)]
pub struct WriteConn {
    conn: PoolConnection<Any>,
    _turn: Option<Turn>,
}

impl WriteConn {
    pub(super) fn new(conn: PoolConnection<Any>, turn: Option<Turn>) -> WriteConn {
        WriteConn { conn, _turn: turn }
    }
}

impl std::ops::Deref for WriteConn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

/// A read transaction: one consistent snapshot for several statements. Never writes (on
/// SQLite its connection is `query_only`).
#[derive(Debug)]
pub struct ReadTx {
    tx: Transaction<'static, Any>,
}

impl ReadTx {
    pub(super) fn new(tx: Transaction<'static, Any>) -> ReadTx {
        ReadTx { tx }
    }

    /// Ends the snapshot.
    pub async fn finish(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for ReadTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for ReadTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

/// Whether an error means "the database was too busy to take the write in time": the gate's
/// wait ran out, SQLite's lock stayed taken by another process (`SQLITE_BUSY`, `SQLITE_LOCKED`
/// and their extended codes), or PostgreSQL gave up on a lock or a serialisation.
pub fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => match db.code() {
            Some(code) => match code.parse::<i64>() {
                // SQLite's extended result codes keep the primary code in the low byte.
                Ok(n) => matches!(n & 0xff, 5 | 6),
                Err(_) => matches!(&*code, "55P03" | "40001" | "40P01" | "57014"),
            },
            None => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writers_take_turns_first_come_first_served() {
        let gate = Arc::new(Gate::new(Duration::from_secs(5), 1));
        let order = Arc::new(Mutex::new(Vec::new()));
        let first = gate.enter(Location::caller()).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..5 {
            let (g, order) = (gate.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let _turn = g.enter(Location::caller()).await.unwrap();
                order.lock().unwrap().push(i);
            }));
            // Each queues before the next starts.
            while gate.waiting() < i + 1 {
                tokio::task::yield_now().await;
            }
        }
        drop(first);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn a_wait_that_runs_out_is_busy_not_an_error_page() {
        let gate = Arc::new(Gate::new(Duration::from_millis(30), 1));
        let _held = gate.enter(Location::caller()).await.unwrap();
        let g = gate.clone();
        let e = tokio::spawn(async move { g.enter(Location::caller()).await.unwrap_err() }).await.unwrap();
        assert!(is_busy(&e), "{e}");
    }

    #[tokio::test]
    async fn a_write_inside_a_write_of_the_same_task_fails_at_once() {
        let gate = Arc::new(Gate::new(Duration::from_secs(30), 1));
        let g = gate.clone();
        let t = tokio::spawn(async move {
            let _outer = g.enter(Location::caller()).await.unwrap();
            let started = Instant::now();
            let e = g.enter(Location::caller()).await.unwrap_err();
            (e, started.elapsed())
        });
        let (e, took) = t.await.unwrap();
        assert!(!is_busy(&e) && took < Duration::from_secs(1), "{e} after {took:?}");
    }

    #[tokio::test]
    async fn hold_times_are_kept_per_writer() {
        let gate = Arc::new(Gate::new(Duration::from_secs(5), 1));
        drop(gate.enter(Location::caller()).await.unwrap());
        let stats = gate.stats();
        assert_eq!(stats.len(), 1);
        assert_eq!(stats[0].1.writes, 1);
        assert!(stats[0].0.ends_with("write.rs"));
    }
}
