//! Proof that the agent is read-only: run the real binary under strace, on the live system and
//! on a fixture tree, and fail on any system call that could change the host — a file opened
//! for writing or created, anything renamed, removed, linked, chmodded or mounted, a kernel
//! module loaded, a write to anything but stdout and stderr — and on any program started that
//! is not on the agent's allow-list of read-only queries.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

const AGENT: &str = env!("CARGO_BIN_EXE_ironprep-agent");

/// Programs the agent may start (host.rs `Query`), by file name.
const ALLOWED_PROGRAMS: &[&str] = &[
    "systemctl",
    "sshd",
    "rpm",
    "snap",
    "sudo",
    "ip",
    "nft",
    "iptables-legacy-save",
    "iptables-save",
    "ip6tables-legacy-save",
    "ip6tables-save",
];

/// System calls that change files, mounts or the kernel whatever their arguments.
const MUTATING_SYSCALLS: &[&str] = &[
    "creat",
    "unlink",
    "unlinkat",
    "rename",
    "renameat",
    "renameat2",
    "mkdir",
    "mkdirat",
    "rmdir",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "truncate",
    "ftruncate",
    "chmod",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "chown",
    "fchown",
    "lchown",
    "fchownat",
    "utimensat",
    "utimes",
    "mknod",
    "mknodat",
    "init_module",
    "finit_module",
    "delete_module",
    "mount",
    "umount2",
    "setxattr",
    "lsetxattr",
    "fsetxattr",
    "removexattr",
    "lremovexattr",
    "fremovexattr",
    "swapon",
    "swapoff",
    "sethostname",
    "setdomainname",
    "kexec_load",
    "reboot",
];

struct Trace {
    /// System calls of the agent's own process and its threads.
    agent: Vec<String>,
    /// Programs started by the agent (file names).
    programs: BTreeSet<String>,
}

fn strace() -> Option<String> {
    let found = ["/usr/bin/strace", "/bin/strace"]
        .into_iter()
        .find(|path| Path::new(path).exists());
    if found.is_none() && std::env::var_os("CI").is_some() {
        panic!("strace is required for the read-only proof (scripts/install-deps.sh installs it)");
    }
    found.map(str::to_owned)
}

/// Runs `command` under `strace -ff` and splits the per-process traces into the agent's own
/// (every process that did not exec another program: the agent and its threads) and the
/// programs it started.
fn trace(command: &[&str]) -> Option<Trace> {
    trace_with_input(command, b"")
}

/// [`trace`] with `input` on the command's stdin.
fn trace_with_input(command: &[&str], input: &[u8]) -> Option<Trace> {
    let strace = strace()?;
    let directory = tempfile::tempdir().unwrap();
    let prefix = directory.path().join("trace");
    let mut child = Command::new(strace)
        .args(["-ff", "-qq", "-s", "256", "-o"])
        .arg(&prefix)
        .args(["-e", "trace=all", "--"])
        .args(command)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("strace runs");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    let mut agent = Vec::new();
    let mut programs = BTreeSet::new();
    for entry in fs::read_dir(directory.path()).unwrap() {
        let text = fs::read_to_string(entry.unwrap().path()).unwrap();
        let executed: Vec<String> = text
            .lines()
            .filter(|line| line.starts_with("execve(\"") && !line.contains("= -1"))
            .filter_map(|line| line.split('"').nth(1))
            .map(|path| path.rsplit('/').next().unwrap_or_default().to_owned())
            .collect();
        let is_agent_process = executed.is_empty()
            || executed
                .iter()
                .all(|program| Some(program.as_str()) == command[0].rsplit('/').next());
        if is_agent_process {
            agent.extend(text.lines().map(str::to_owned));
        }
        programs.extend(executed);
    }
    assert!(
        matches!(output.status.code(), Some(0 | 1 | 3)),
        "the command failed under strace: {output:?}"
    );
    Some(Trace { agent, programs })
}

/// Every line of the agent's own trace that could have changed the host.
fn violations(trace: &Trace) -> Vec<String> {
    let mut violations = Vec::new();
    for line in &trace.agent {
        let Some((syscall, arguments)) = line.split_once('(') else {
            continue;
        };
        let syscall = syscall.trim();
        if MUTATING_SYSCALLS.contains(&syscall) && !line.contains("= -1") {
            violations.push(line.clone());
        }
        if matches!(syscall, "open" | "openat" | "openat2")
            && ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"]
                .iter()
                .any(|flag| arguments.contains(flag))
        {
            violations.push(line.clone());
        }
        if matches!(
            syscall,
            "write" | "writev" | "pwrite64" | "pwritev" | "pwritev2"
        ) {
            let fd = arguments.split(',').next().unwrap_or_default().trim();
            if fd != "1" && fd != "2" {
                violations.push(line.clone());
            }
        }
    }
    violations
}

fn agent_name() -> &'static str {
    file_name(AGENT)
}

fn file_name(path: &str) -> &str {
    Path::new(path)
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap()
}

/// This build's agent, and the portable pair hosts receive when the tests are handed it
/// (scripts/test.sh sets IRONPREP_AGENT; `ironprep check` sends its `-lean` sibling when no
/// --ca is given): the proof holds for what ships.
fn agents() -> Vec<String> {
    let mut agents = vec![AGENT.to_owned()];
    if let Some(shipped) = std::env::var_os("IRONPREP_AGENT") {
        let shipped = shipped.to_string_lossy().into_owned();
        let lean = format!("{shipped}-lean");
        agents.push(shipped);
        if Path::new(&lean).is_file() {
            agents.push(lean);
        }
    }
    agents
}

#[test]
fn the_live_run_changes_nothing_and_starts_only_read_only_queries() {
    for agent in agents() {
        live_run_changes_nothing(&agent);
    }
}

fn live_run_changes_nothing(agent: &str) {
    let command = [
        agent,
        "--format",
        "json",
        "--role",
        "control-plane",
        "--role",
        "installer",
        "--with",
        "disk.performance,hw.tpm,hw.smbios-identity",
    ];
    let Some(trace) = trace(&command) else { return };
    assert!(
        trace
            .agent
            .iter()
            .any(|line| line.contains("/proc/cpuinfo")),
        "the trace is real"
    );
    let violations = violations(&trace);
    assert!(
        violations.is_empty(),
        "{agent} changed something:\n{}",
        violations.join("\n")
    );
    let unexpected: Vec<&String> = trace
        .programs
        .iter()
        .filter(|program| {
            *program != file_name(agent) && !ALLOWED_PROGRAMS.contains(&program.as_str())
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "{agent} started programs off the allow-list: {unexpected:?}"
    );
}

#[test]
fn a_rooted_run_starts_nothing_and_changes_nothing() {
    let tree = tempfile::tempdir().unwrap();
    fs::create_dir_all(tree.path().join("proc")).unwrap();
    fs::write(
        tree.path().join("proc/cpuinfo"),
        "processor\t: 0\nflags\t\t: fpu lm\n",
    )
    .unwrap();
    let root = tree.path().to_str().unwrap();
    let Some(trace) = trace(&[AGENT, "--format", "json", "--root", root]) else {
        return;
    };
    let violations = violations(&trace);
    assert!(
        violations.is_empty(),
        "the agent changed something:\n{}",
        violations.join("\n")
    );
    let started: Vec<&String> = trace
        .programs
        .iter()
        .filter(|p| *p != agent_name())
        .collect();
    assert!(started.is_empty(), "nothing runs under --root: {started:?}");
}

/// The network session listens, connects, sends UDP and (as root) opens raw sockets for VRRP
/// and IP-in-IP: socket calls, none of which may touch a file, load a module or start a
/// program.
#[test]
fn a_network_session_changes_nothing_and_starts_nothing() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let open_port = listener.local_addr().unwrap().port();
    let free_port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let plan = format!(
        "{{\"from\":\"self\",\"targets\":[{{\"host\":\"loopback\",\"address\":\"127.0.0.1\",\
         \"ports\":[{{\"protocol\":\"tcp\",\"port\":{open_port}}},\
         {{\"protocol\":\"tcp\",\"port\":{free_port}}},{{\"protocol\":\"udp\",\"port\":{free_port}}},\
         {{\"protocol\":\"ipip\",\"port\":0}}],\
         \"latency_port\":{open_port}}}],\"timeout_ms\":500,\"parallel\":4,\"latency_samples\":2}}\n"
    );
    let listen = format!("tcp/{free_port},udp/{free_port},ipip");
    let command = [
        AGENT,
        "net-session",
        "--listen",
        &listen,
        "--vrrp-seconds",
        "1",
        "--max-seconds",
        "30",
    ];
    let Some(trace) = trace_with_input(&command, plan.as_bytes()) else {
        return;
    };
    assert!(
        trace.agent.iter().any(|line| line.starts_with("listen(")),
        "the trace is real"
    );
    let violations = violations(&trace);
    assert!(
        violations.is_empty(),
        "the session changed something:\n{}",
        violations.join("\n")
    );
    let started: Vec<&String> = trace
        .programs
        .iter()
        .filter(|p| *p != agent_name())
        .collect();
    assert!(started.is_empty(), "a session runs nothing: {started:?}");
    drop(listener);
}

#[test]
fn the_detector_catches_a_created_file() {
    // The proof is only as good as its detector: a process that creates a file must trip it.
    let directory = tempfile::tempdir().unwrap();
    let target = directory.path().join("created");
    let script = format!("echo x > {}", target.display());
    let Some(trace) = trace(&["/bin/sh", "-c", &script]) else {
        return;
    };
    assert!(target.exists());
    assert!(
        violations(&trace)
            .iter()
            .any(|line| line.contains("O_CREAT")),
        "creating a file must be detected"
    );
}
