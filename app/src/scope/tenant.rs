//! A caller's customer tree, and the SQL that keeps a query inside it.
use crate::db::sql::{Sql, prefix_upper};

/// The customer subtree a caller may see: a path prefix such as `/7/12/`, or `/` for the
/// service provider, who sees every customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant(String);

impl Tenant {
    pub fn new(path: &str) -> Tenant {
        Tenant(if path.is_empty() { "/".into() } else { path.to_string() })
    }
    pub fn path(&self) -> &str {
        &self.0
    }
    pub fn is_everything(&self) -> bool {
        self.0 == "/"
    }
    /// Whether a customer path lies inside this tree.
    pub fn contains(&self, customer_path: &str) -> bool {
        customer_path.starts_with(&self.0)
    }

    /// `<col> IN (customers of this tree)`, or nothing for the whole provider.
    pub fn clause(&self, sql: &mut Sql, customer_col: &str) {
        if !self.is_everything() {
            subtree_clause(sql, customer_col, &self.0);
        }
    }
}

/// `AND <col> IN (SELECT id FROM customers WHERE path in the subtree of `path`)`.
pub fn subtree_clause(sql: &mut Sql, customer_col: &str, path: &str) {
    sql.push(" AND ")
        .push(customer_col)
        .push(" IN (SELECT id FROM customers WHERE path >= ")
        .bind(path)
        .push(" AND path < ")
        .bind(prefix_upper(path))
        .push(")");
}
