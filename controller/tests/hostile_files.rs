//! Paths someone else controls: a FIFO or a device where a file belongs, a file far larger
//! than any real input. Each is refused at once with the file named and exit 2 — before, a
//! `*.yaml` FIFO in a lint directory or a FIFO given to `--known-hosts` blocked forever, and
//! `/dev/zero` was read until memory ran out.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `ironprep` and kills it if it has not finished long after any healthy run would: a
/// hang fails the test instead of the whole suite.
fn ironprep(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ironprep"))
        .args(args)
        .env("IRONPREP_BMC_PASSWORD", "not-printed")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("ironprep {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

fn assert_refused(output: &Output, file: &str, why: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    let text = format!("{stdout}{stderr}");
    assert!(text.contains(file), "must name {file}: {text}");
    assert!(text.contains(why), "must say {why}: {text}");
    assert!(!text.contains("panicked"), "{text}");
}

#[test]
fn a_fifo_in_a_lint_directory_is_an_error_not_a_hang() {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(
        directory.path().join("a.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: cpaas-system\n",
    )
    .unwrap();
    mkfifo(&directory.path().join("b.yaml"));
    let output = ironprep(&[
        "lint",
        "--color",
        "never",
        directory.path().to_str().unwrap(),
    ]);
    assert_refused(&output, "b.yaml", "FIFO");
    // No position to give: the file alone, never an invented `b.yaml:0:0`.
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("b.yaml\n") && !text.contains("b.yaml:0"),
        "{text}"
    );
    let sarif = ironprep(&[
        "lint",
        "--format",
        "sarif",
        directory.path().to_str().unwrap(),
    ]);
    let document: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let location = &document["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert!(
        location["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("b.yaml"),
        "{location}"
    );
    // SARIF lines start at 1: no region rather than a made-up one.
    assert!(location.get("region").is_none(), "{location}");
}

#[test]
fn a_fifo_or_device_as_known_hosts_inventory_or_key_is_refused() {
    let directory = tempfile::tempdir().unwrap();
    let fifo = directory.path().join("known_hosts");
    mkfifo(&fifo);
    let fifo = fifo.to_str().unwrap();
    let base = ["check", "--hosts", "127.0.0.1:9", "--agent", "/bin/true"];
    let mut args = base.to_vec();
    args.extend(["--known-hosts", fifo]);
    assert_refused(&ironprep(&args), "known_hosts", "FIFO");
    let output = ironprep(&["check", "--inventory", "/dev/zero", "--agent", "/bin/true"]);
    assert_refused(&output, "/dev/zero", "not a regular file");
    let mut args = base.to_vec();
    args.extend(["--ssh-key", "/dev/zero"]);
    assert_refused(&ironprep(&args), "/dev/zero", "not a regular file");
}

#[test]
fn a_manifest_larger_than_the_cap_is_refused_with_the_cap_named() {
    let directory = tempfile::tempdir().unwrap();
    let big = directory.path().join("big.yaml");
    let mut text = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n");
    let line = format!("  k: {}\n", "x".repeat(1000));
    while text.len() < 17 * 1024 * 1024 {
        text.push_str(&line.replacen('k', &format!("k{}", text.len()), 1));
    }
    std::fs::write(&big, text).unwrap();
    let output = ironprep(&["lint", big.to_str().unwrap()]);
    assert_refused(&output, "big.yaml", "larger than 16 MiB");
}
