//! Inputs that once crashed or hung the lint path (from fuzzing the loader, see
//! scripts/fuzz-lint.sh): every file of lint-fixtures/fuzz-regressions/ must lint without a
//! panic, and the inputs too large to commit are generated here, each with a time bound.

use std::path::Path;
use std::time::{Duration, Instant};

use ironprep::lint;

/// A hang detector, not a performance figure (those are in scripts/bench-lint.sh): the
/// quadratic versions took many minutes; a loaded 2-core machine never comes near this.
const BOUND: Duration = Duration::from_secs(120);

fn lint_within_bound(name: &str, bytes: &[u8]) -> lint::LintResult {
    let start = Instant::now();
    let result = lint::lint_bytes(name, bytes);
    assert!(
        start.elapsed() < BOUND,
        "{name}: took {:?}",
        start.elapsed()
    );
    result
}

#[test]
fn committed_reproducers_lint_without_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint-fixtures/fuzz-regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        lint_within_bound(&path.display().to_string(), &bytes);
        seen += 1;
    }
    assert!(seen > 0);
}

/// Two MachineDeployments of i64::MAX replicas drawing from one pool overflowed the sum in
/// pool.capacity (a panic in debug builds, a wrong message in release ones).
#[test]
fn huge_replicas_saturate() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/lint-fixtures/fuzz-regressions/replicas-overflow.yaml");
    let result = lint_within_bound("overflow.yaml", &std::fs::read(path).unwrap());
    let capacity = result
        .findings
        .iter()
        .find(|finding| finding.rule == "pool.capacity")
        .expect("the pool is too small");
    assert!(
        capacity.message.contains("9223372036854775807 replicas"),
        "{}",
        capacity.message
    );
}

/// A mapping of 100,000 keys: the duplicate-key check scanned every earlier key (minutes).
#[test]
fn a_mapping_of_many_keys_is_linear() {
    let mut text = String::from("kind: ConfigMap\nmetadata: {name: many}\ndata:\n");
    for key in 0..100_000 {
        text.push_str(&format!("  k{key}: v\n"));
    }
    let result = lint_within_bound("keys.yaml", text.as_bytes());
    assert!(result.errors.is_empty());
    // And a duplicate at the very end is still found, with the first occurrence's line.
    text.push_str("  k7: again\n");
    let result = lint_within_bound("keys.yaml", text.as_bytes());
    assert!(
        result.errors[0].message.contains("first at line 11"),
        "{}",
        result.errors[0]
    );
}

/// A pool of 50,000 members: pool.members compared each with every earlier one.
#[test]
fn a_pool_of_many_members_is_linear() {
    let mut text = String::from(
        "kind: MachineInventoryPool\nmetadata: {name: global-pool, namespace: cpaas-system}\n\
         spec:\n  clusterName: global\n  machineInventories:\n",
    );
    for member in 0..50_000 {
        text.push_str(&format!("  - {{name: m{member}, hostname: h{member}}}\n"));
    }
    text.push_str("  - m3\n");
    let result = lint_within_bound("pool.yaml", text.as_bytes());
    let twice: Vec<_> = result
        .findings
        .iter()
        .filter(|finding| finding.rule == "pool.members")
        .collect();
    assert_eq!(twice.len(), 1, "{twice:#?}");
    assert!(twice[0].message.contains("m3 is listed twice"));
}
