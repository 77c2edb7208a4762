//! The standing contract test: Schemathesis, a published property-based OpenAPI tester that
//! knows nothing of our code, reads `/api/v1/openapi.json` from a real server and sends what
//! the document allows (it must be accepted) and what it refuses (it must be refused), checking
//! every answer's status, headers and body against the document. Both key kinds, every
//! operation, each engine; a fixed seed and a time budget that fits CI. It must find nothing.
//!
//! `scripts/test.sh` installs the tester (a pinned version from PyPI) into
//! `~/.cache/iot-portal/schemathesis`; `SCHEMATHESIS_BIN` names another.
use std::path::PathBuf;
use std::time::Duration;

use crate::both_engines;
use crate::helpers::{PASSWORD, TestApp};
use crate::rest::new_key;
use crate::sims::fleet;

fn tester() -> PathBuf {
    let bin = std::env::var_os("SCHEMATHESIS_BIN").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/iot-portal/schemathesis/bin/st")
    });
    assert!(
        bin.exists(),
        "{} is missing: scripts/test.sh installs Schemathesis (or set SCHEMATHESIS_BIN)",
        bin.display()
    );
    bin
}

/// What the tester may not expect of the ingest operations from the document alone: a batch is
/// all-or-nothing, and whether a record is acceptable depends on what no schema can say (its
/// SIM exists in the tree, it ends after it starts, it is less than 13 months old, CSV rows
/// under their header). So a schema-valid batch may be refused with 422 naming the line.
const CONFIG: &str = r#"
[[operations]]
include-path-regex = "^/api/v1/ingest/"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]
"#;

/// Restores the per-key rate limit when the test ends, however it ends.
struct RateLimit;

impl Drop for RateLimit {
    fn drop(&mut self) {
        app::rest::gate::set_per_minute(app::rest::gate::PER_MINUTE);
    }
}

/// Every warning but, for the ingest, that most generated batches are refused (see [`CONFIG`]).
const WARNINGS: &str = "missing_auth,missing_test_data,base_url_mismatch,missing_deserializer,unused_openapi_auth,\
unsupported_regex,method_not_allowed,unmatched_filter,unresolvable_reference,rate_limited,dictionary_mismatch";

async fn run(app: &TestApp, key: &str, paths: &str, budget: Duration, warnings: Option<&str>) {
    // Its own directory: the tester keeps its configuration and examples database there.
    let dir = std::env::temp_dir().join(format!(
        "portal-schemathesis-{}-{}",
        std::process::id(),
        app.base.rsplit(':').next().unwrap_or("")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("schemathesis.toml"), CONFIG).unwrap();
    let warnings = warnings.map(|w| vec!["--warnings".to_string(), w.to_string()]).unwrap_or_default();
    let (url, auth, paths_arg, budget_arg, cwd) = (
        format!("{}/api/v1/openapi.json", app.base),
        format!("Authorization: Bearer {key}"),
        paths.to_string(),
        budget.as_secs().to_string(),
        dir.clone(),
    );
    // The server answers on this test's runtime while the tester runs beside it.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(tester())
            .current_dir(&cwd)
            .args(["run", &url, "--header", &auth, "--include-path-regex", &paths_arg])
            .args(["--checks", "all", "--exclude-checks", "ignored_auth"])
            .args(["--seed", "1", "--workers", "1", "--max-examples", "40"])
            .args(["--max-time", &budget_arg, "--request-timeout", "30"])
            .args(&warnings)
            .env("NO_COLOR", "1")
            .output()
            .expect("cannot run Schemathesis")
    })
    .await
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "Schemathesis found problems ({paths}):\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("No issues found"), "{text}");
}

both_engines!(
    a_published_contract_tester_finds_nothing_the_document_and_the_server_disagree_on,
    |app: TestApp| async move {
        let f = fleet(&app).await;
        app.user(f.t.provider, "root", "provider_admin", PASSWORD).await;
        let mut root = app.sign_in("root", PASSWORD).await;
        let api = new_key(&mut root, &[("name", "Contract"), ("kind", "api"), ("role", "provider_admin")]).await;
        let ingest =
            new_key(&mut root, &[("name", "Contract ingest"), ("kind", "ingest"), ("role", "provider_admin")]).await;
        // The tester sends thousands of requests a minute; the limit is not what is tested here.
        let _restore = RateLimit;
        app::rest::gate::set_per_minute(u32::MAX);
        run(&app, &api, "^/api/v1/(?!ingest/)", Duration::from_secs(75), None).await;
        run(&app, &ingest, "^/api/v1/ingest/", Duration::from_secs(20), Some(WARNINGS)).await;
    }
);
