//! What several benches share: a deterministic generator and a two-column reader.
use app::db::Db;
use sqlx::Row;

/// The columns `a` and `b` of every row a query returns.
pub(crate) async fn pairs<A, B>(db: &Db, sql: &'static str, (a, b): (&str, &str)) -> Vec<(A, B)>
where
    A: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
    B: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    sqlx::query(sql).fetch_all(db.pool()).await.unwrap().iter().map(|r| (r.get(a), r.get(b))).collect()
}

/// A small deterministic generator (splitmix64): the same database on every machine.
pub(crate) struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
