//! End to end: a signal while `ironprep certs` writes its files never leaves the hidden
//! staging directory (it holds ca.key) behind: SIGINT and SIGTERM remove it, and the staging
//! a SIGKILL left is removed by the next run, while staging of another user or of a running
//! process is left alone. The write is made slow on purpose with strace delaying every fsync.

use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A hang detector, not a measurement.
const DEADLINE: Duration = Duration::from_secs(120);

fn strace_available() -> bool {
    let found = Command::new("strace").arg("-V").output().is_ok();
    if !found {
        ironprep_e2e::missing(
            "a signal during certs output",
            "strace is missing (scripts/install-deps.sh installs it)",
        );
    }
    found
}

/// `certs dex-tls` into `dir/out`, each fsync of the write delayed by 3 s.
fn slow_dex_tls(dir: &Path) -> Child {
    Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync"])
        .args(["-e", "inject=fsync:delay_enter=3000000", "--"])
        .arg(ironprep_e2e::ironprep())
        .args(["certs", "dex-tls", "--host-ip", "10.0.0.5", "--out"])
        .arg(dir.join("out"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run strace")
}

/// The staging directories in `dir` and the PID each names.
fn staging(dir: &Path) -> Vec<(String, u32)> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rest = name.strip_prefix(".out.ironprep-")?;
            let pid = rest.split('-').next()?.parse().ok()?;
            Some((name, pid))
        })
        .collect()
}

fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !condition() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts a slow write, sends `signal` to ironprep once its staging holds a file, and returns
/// how ironprep (through strace, which exits as its tracee did) ended.
fn interrupted_write(dir: &Path, signal: &str) -> std::process::ExitStatus {
    let mut child = slow_dex_tls(dir);
    wait_until("the staging directory holds a file", || {
        staging(dir).iter().any(|(name, _)| {
            std::fs::read_dir(dir.join(name)).is_ok_and(|mut files| files.next().is_some())
        })
    });
    let pid = staging(dir)[0].1;
    let status = Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "SIG{signal}: ironprep did not exit"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigint_and_sigterm_remove_the_staging_directory() {
    if !strace_available() {
        return;
    }
    for signal in ["INT", "TERM"] {
        let dir = tempfile::tempdir().unwrap();
        let status = interrupted_write(dir.path(), signal);
        assert_eq!(status.code(), Some(130), "SIG{signal}: {status:?}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert!(left.is_empty(), "SIG{signal}: {left:?}");
    }
}

#[test]
fn staging_a_sigkill_left_is_removed_by_the_next_run_and_no_one_elses() {
    if !strace_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let status = interrupted_write(dir.path(), "KILL");
    assert!(
        status.signal() == Some(9) || status.code() == Some(137),
        "{status:?}"
    );
    let killed = staging(dir.path());
    assert_eq!(killed.len(), 1, "{killed:?}");
    // Someone else's: a running process's staging, and a dead run's of another user.
    let running = dir
        .path()
        .join(format!(".out.ironprep-{}-AbC123", std::process::id()));
    let foreign = dir.path().join(".out.ironprep-999999999-XyZ789");
    for other in [&running, &foreign] {
        std::fs::create_dir(other).unwrap();
        std::fs::write(other.join("ca.key"), b"not ours").unwrap();
    }
    std::os::unix::fs::chown(&foreign, Some(4242), Some(4242)).unwrap();

    let output = Command::new(ironprep_e2e::ironprep())
        .args(["certs", "dex-tls", "--host-ip", "10.0.0.5", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&killed[0].0) && stdout.contains("left by an interrupted run"),
        "{stdout}"
    );
    assert!(!dir.path().join(&killed[0].0).exists());
    assert!(running.join("ca.key").exists() && foreign.join("ca.key").exists());
    assert!(dir.path().join("out/ca.key").exists());
}
