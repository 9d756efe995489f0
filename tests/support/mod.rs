//! The simulated fleet for end-to-end tests: `scripts/fleet-sim.sh` brings up real sshd hosts
//! in network namespaces; [`Fleet`] owns them and tears them down on drop, also when a test
//! fails. Needs root: when not root the tests skip, except under CI (`CI=true`), where they
//! fail with the reason.

#![allow(dead_code, reason = "each test binary uses part of the support module")]

pub mod ingress;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Checks that a container can pass, so a healthy simulated host reports no failure.
pub const PASSABLE: &str = "net.hostname,net.hosts-localhost,net.resolv-nameserver,net.ports-free,fs.tmp-exec,access.root-or-sudo";

pub struct Fleet {
    pub dir: PathBuf,
    script: PathBuf,
}

/// `None` (skip) when the fleet cannot run here and this is not CI.
pub fn can_run(test: &str) -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0");
    let tools = ["ip", "unshare", "perl"].iter().all(|tool| which(tool))
        && Path::new("/usr/sbin/sshd").exists();
    if root && tools {
        return true;
    }
    let reason = if root {
        "sshd, ip, unshare or perl is missing (apt-get install -y openssh-server iproute2)"
    } else {
        "the simulated fleet needs root (network namespaces, sshd)"
    };
    ironprep_e2e::missing(test, reason);
    false
}

fn which(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|output| output.status.success())
}

impl Fleet {
    /// Brings up hosts from specs such as `b:hostname=b_BAD,noexec` (see the script's help).
    pub fn up(name: &str, specs: &[&str]) -> Fleet {
        // Not under the checkout: CI may clone under /tmp or /root, which every simulated host
        // overmounts with its own, and the script refuses such a directory.
        let dir = PathBuf::from("/var/lib/ironprep-fleet-sim")
            .join(format!("fleet-{name}-{}", std::process::id()));
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/fleet-sim.sh");
        let fleet = Fleet { dir, script };
        // The kernel removes a torn-down fleet's namespaces and links asynchronously; a fleet
        // brought up in that window can collide with them (seen once locally, right after
        // another suite). One retry after a clean teardown; the first error is still printed.
        for attempt in 1..=2 {
            fleet.down();
            let _ = std::fs::remove_dir_all(&fleet.dir);
            let output = Command::new(&fleet.script)
                .arg("up")
                .arg(&fleet.dir)
                .args(specs)
                .output()
                .expect("run scripts/fleet-sim.sh");
            if output.status.success() {
                return fleet;
            }
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(attempt < 2, "fleet-sim.sh up failed twice: {stderr}");
            eprintln!("fleet-sim.sh up failed, retrying once: {stderr}");
            std::thread::sleep(std::time::Duration::from_secs(2));
        }
        unreachable!("the loop returns or panics")
    }

    fn down(&self) {
        let _ = Command::new(&self.script)
            .arg("down")
            .arg(&self.dir)
            .output();
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn address(&self, host: &str) -> String {
        let hosts = std::fs::read_to_string(self.path("hosts.txt")).expect("hosts.txt");
        hosts
            .lines()
            .find_map(|line| {
                let (name, address) = line.split_once(' ')?;
                (name == host).then(|| address.to_owned())
            })
            .unwrap_or_else(|| panic!("no host {host} in the fleet"))
    }

    /// The bridge's address: the hosts' default gateway, reachable from every namespace, where
    /// tests run servers the hosts must reach.
    pub fn gateway(&self) -> String {
        std::fs::read_to_string(self.path("gateway"))
            .expect("gateway")
            .trim()
            .to_owned()
    }

    /// The bytes a host's network interface has received so far (its eth0 in its namespace).
    pub fn received_bytes(&self, host: &str) -> u64 {
        let hosts = std::fs::read_to_string(self.path("hosts.txt")).expect("hosts.txt");
        let index = hosts
            .lines()
            .position(|line| line.split(' ').next() == Some(host))
            .unwrap_or_else(|| panic!("no host {host} in the fleet"));
        // One namespace per host, in the order of hosts.txt.
        let namespaces = std::fs::read_to_string(self.path("netns")).expect("netns");
        let namespace = namespaces.lines().nth(index).expect("the host's namespace");
        let output = Command::new("ip")
            .args(["netns", "exec", namespace, "cat"])
            .arg("/sys/class/net/eth0/statistics/rx_bytes")
            .output()
            .expect("run ip netns exec");
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("rx_bytes of {host}: {output:?}"))
    }

    /// Files left in a host's temp directories and home: must be none after a run.
    pub fn leftovers(&self, host: &str) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for dir in ["tmp", "var-tmp", "shm", "home"] {
            if let Ok(entries) = std::fs::read_dir(self.dir.join(host).join(dir)) {
                found.extend(entries.flatten().map(|entry| entry.path()));
            }
        }
        found
    }

    /// `ironprep check` with the fleet's client key and known_hosts, run in the fleet's dir.
    pub fn ironprep(&self, arguments: &[&str]) -> Output {
        self.command(arguments).output().expect("run ironprep")
    }

    pub fn command(&self, arguments: &[&str]) -> Command {
        let mut command = Command::new(ironprep_e2e::ironprep());
        command
            .current_dir(&self.dir)
            .arg("check")
            .args(["--ssh-key", "client_key"])
            .args(arguments)
            .env_remove("SSH_AUTH_SOCK")
            .env("NO_COLOR", "1");
        if !arguments.contains(&"--agent") {
            command.arg("--agent").arg(agent());
        }
        if !arguments.contains(&"--known-hosts") {
            command.args(["--known-hosts", "known_hosts"]);
        }
        command
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.down();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The agent binary from the same target directory; built with cargo when it is missing
/// (it lives in another package, so `CARGO_BIN_EXE_` cannot name it).
pub fn agent() -> PathBuf {
    if let Some(path) = std::env::var_os("IRONPREP_AGENT") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/ironprep-agent
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable under target/<profile>/deps");
    let agent = profile_dir.join("ironprep-agent");
    if !agent.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut build = Command::new(cargo);
        build.args(["build", "-p", "ironprep-agent"]);
        if profile_dir.ends_with("release") {
            build.arg("--release");
        }
        let status = build.current_dir(env!("CARGO_MANIFEST_DIR")).status();
        assert!(
            status.is_ok_and(|status| status.success()) && agent.is_file(),
            "cannot find or build {} (run `cargo build -p ironprep-agent` first)",
            agent.display()
        );
    }
    agent
}

/// The report a run wrote with `--format json --output report.json`.
pub fn read_report(fleet: &Fleet, file: &str) -> ironprep_schema::FleetReport {
    let text = std::fs::read_to_string(fleet.path(file)).expect("the report file");
    let value: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("{error}: {text}"));
    ironprep_e2e::assert_schema("fleet-report", &value);
    serde_json::from_value(value).unwrap_or_else(|error| panic!("{error}: {text}"))
}
