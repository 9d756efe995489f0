//! Numbers on the command line are range-checked before anything runs: an out-of-range
//! `--timeout` once overflowed the deadline arithmetic, crashed every host task and the run
//! "passed" with no host in the report.

use std::process::{Command, Output};

fn ironprep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ironprep"))
        .args(args)
        .output()
        .unwrap()
}

fn assert_usage_error(args: &[&str], flag: &str) {
    let output = ironprep(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(flag), "{args:?} must name {flag}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing is reported: {args:?}");
}

#[test]
fn out_of_range_numbers_are_usage_errors_naming_the_flag() {
    // 192.0.2.1 (TEST-NET-1) is never contacted: the command line is refused first.
    let hosts = ["check", "--hosts", "192.0.2.1", "--agent", "/bin/true"];
    for (flag, value) in [
        ("--timeout", "18446744073709551606"),
        ("--timeout", "0"),
        ("--timeout", "86401"),
        ("--concurrency", "18446744073709551615"),
        ("--concurrency", "0"),
    ] {
        let mut args = hosts.to_vec();
        args.extend([flag, value]);
        assert_usage_error(&args, flag);
    }
    for value in ["18446744073709551615", "0"] {
        assert_usage_error(
            &["probe", "--vip", "192.0.2.1", "--timeout", value],
            "--timeout",
        );
    }
}

#[test]
fn a_known_hosts_file_that_is_not_there_is_an_error_unless_accept_new_creates_it() {
    let directory = tempfile::tempdir().unwrap();
    let missing = directory.path().join("knwon_hosts");
    let missing = missing.to_str().unwrap();
    let hosts = ["check", "--hosts", "192.0.2.1", "--agent", "/bin/true"];
    let mut args = hosts.to_vec();
    args.extend(["--known-hosts", missing]);
    assert_usage_error(&args, "--known-hosts");
    let stderr = String::from_utf8_lossy(&ironprep(&args).stderr).into_owned();
    assert!(stderr.contains("no such file"), "{stderr}");
    // accept-new will create it, so the run gets past planning: to loopback's closed
    // discard port, refused at once.
    let mut args = vec!["check", "--hosts", "127.0.0.1:9", "--agent", "/bin/true"];
    args.extend(["--known-hosts", missing, "--host-key-policy", "accept-new"]);
    let stderr = String::from_utf8_lossy(&ironprep(&args).stderr).into_owned();
    assert!(!stderr.contains("no such file"), "{stderr}");
}

#[test]
fn urls_with_control_characters_are_refused_before_any_request() {
    let injected = "https://127.0.0.1:9/seed.iso\r\nX-Injected: 1";
    let output = ironprep(&["iso", "check", injected, "--phase", "bootstrap"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("control characters"), "{stderr}");
    assert!(
        !stderr.contains('\r'),
        "the URL is shown escaped: {stderr:?}"
    );
    let output = Command::new(env!("CARGO_BIN_EXE_ironprep"))
        .args(["bmc", "check", "--bmc", "https://127.0.0.1:9/\r\nX: 1"])
        .env("IRONPREP_BMC_PASSWORD", "not-printed")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("control characters"), "{stderr}");
}
