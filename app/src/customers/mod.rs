//! Customers: the tree from the service provider down to sub-customers.
pub mod api;
pub mod model;
pub mod records;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod exports;

/// Materialised path of a customer: its ancestors and itself as `/1/5/23/`. A subtree is
/// every path that starts with its root's path, which is how queries are scoped to a tenant.
pub fn child_path(parent_path: &str, id: i64) -> String {
    format!("{parent_path}{id}/")
}

/// Path of a customer at the top of the tree.
pub fn root_path(id: i64) -> String {
    format!("/{id}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtree_paths_nest() {
        let root = root_path(1);
        let child = child_path(&root, 5);
        let grandchild = child_path(&child, 23);
        assert_eq!(grandchild, "/1/5/23/");
        assert!(grandchild.starts_with(&child) && child.starts_with(&root));
        assert!(!child_path(&root, 50).starts_with(&child), "/1/50/ is not under /1/5/");
    }
}
