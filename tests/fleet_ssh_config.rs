//! End to end: hosts reached the way an OpenSSH user reaches them — aliases, ports, users,
//! keys, known_hosts and ProxyJump chains from an ssh_config alone — and a sudo password given
//! at a prompt, on the simulated fleet; broken configs are refused before anything is contacted.

mod support;

use std::process::{Command, Output};

use ironprep_schema::HostOutcome;
use support::{Fleet, PASSABLE, can_run, read_report};

/// `ironprep check` with nothing but the ssh_config: no --ssh-key, no --known-hosts.
fn check_with_config(fleet: &Fleet, config: &str, arguments: &[&str]) -> Output {
    std::fs::write(fleet.path("ssh_config"), config).unwrap();
    Command::new(ironprep_e2e::ironprep())
        .current_dir(fleet.path(""))
        .arg("check")
        .arg("--agent")
        .arg(support::agent())
        .args(["-F", "ssh_config"])
        .args(arguments)
        .env_remove("SSH_AUTH_SOCK")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn a_run_driven_only_by_ssh_config_through_a_jump_chain() {
    if !can_run("ssh_config") {
        return;
    }
    // web1 lets users in only from hop2, hop2 only from bastion: web1 is reachable through
    // bastion then hop2 and no other way; web2 only through bastion, on port 2222.
    let fleet = Fleet::up(
        "sshconfig",
        &[
            "bastion",
            "hop2:ssh-port=2200,only-from=bastion",
            "web1:only-from=hop2",
            "web2:ssh-port=2222,only-from=bastion",
            "direct",
        ],
    );
    let dir = fleet.path("");
    let config = format!(
        "# the fleet, as an OpenSSH user writes it\n\
         Host bastion direct\n  ProxyJump none\n\
         Host bastion\n  HostName {bastion}\n\
         Host direct\n  HostName {direct}\n\
         Host hop2\n  HostName {hop2}\n  Port 2200\n\
         Host web1\n  HostName {web1}\n  ProxyJump bastion,hop2\n\
         Host web2\n  HostName {web2}\n  Port 2222\n\
         Host *\n  User root\n  IdentityFile {dir}/client_key\n  IdentitiesOnly yes\n\
         \x20 UserKnownHostsFile {dir}/known_hosts\n  StrictHostKeyChecking yes\n\
         \x20 ConnectTimeout 30\n  ProxyJump bastion\n",
        bastion = fleet.address("bastion"),
        direct = fleet.address("direct"),
        hop2 = fleet.address("hop2"),
        web1 = fleet.address("web1"),
        web2 = fleet.address("web2"),
        dir = dir.display(),
    );
    let output = check_with_config(
        &fleet,
        &config,
        &[
            "--hosts",
            "web1,web2,direct",
            "--only",
            PASSABLE,
            "--format",
            "json",
            "--output",
            "report.json",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    let report = read_report(&fleet, "report.json");
    let names: Vec<&str> = report.hosts.iter().map(|host| host.host.as_str()).collect();
    assert_eq!(names, ["web1", "web2", "direct"]);
    for host in &report.hosts {
        assert_eq!(host.outcome, HostOutcome::Reported, "{host:?}");
    }
    for host in ["web1", "web2", "direct", "bastion", "hop2"] {
        assert!(fleet.leftovers(host).is_empty(), "{host}");
    }

    // Without the chain web1 refuses the controller: the chain, not luck, reached it. The
    // command line's -J wins over the config's ProxyJump.
    let output = check_with_config(
        &fleet,
        &config,
        &[
            "--hosts", "web1", "-J", "bastion", "--only", PASSABLE, "--format", "json",
        ],
    );
    assert_eq!(output.status.code(), Some(3));
    let report: ironprep_schema::FleetReport = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report.hosts[0].outcome, HostOutcome::AuthFailed);

    // A hop that is down is named in every host's error behind it.
    let output = check_with_config(
        &fleet,
        &config.replace(&fleet.address("bastion"), "127.0.0.1\n  Port 9"),
        &["--hosts", "web2", "--only", PASSABLE, "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(3));
    let report: ironprep_schema::FleetReport = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report.hosts[0].outcome, HostOutcome::Unreachable);
    let error = report.hosts[0].error.as_deref().unwrap_or_default();
    assert!(error.starts_with("the jump host bastion: "), "{error}");
}

#[test]
fn proxy_jump_loops_and_malformed_configs_exit_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |config: &str, hosts: &str| {
        std::fs::write(dir.path().join("ssh_config"), config).unwrap();
        Command::new(ironprep_e2e::ironprep())
            .current_dir(dir.path())
            .arg("check")
            .arg("--agent")
            .arg(support::agent())
            .args(["-F", "ssh_config", "--hosts", hosts])
            .env_remove("SSH_AUTH_SOCK")
            .output()
            .unwrap()
    };
    let output = run(
        "Host a\n  ProxyJump b\nHost b\n  ProxyJump c\nHost c\n  ProxyJump a\n",
        "a",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("ProxyJump loop: a → b → c → a"), "{stderr}");
    assert!(stderr.contains("ssh_config:6"), "{stderr}");
    // A config that jumps every host through a bastion, the bastion included.
    let output = run("Host *\n  ProxyJump bastion\n", "node1");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("node1 → bastion → bastion") && stderr.contains("ssh_config:2"),
        "{stderr}"
    );

    let output = run(
        "Host node1\n  HostName 10.0.0.1\n  Port twenty-two\n",
        "node1",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("ssh_config:3: Port: 'twenty-two' is not a TCP port"),
        "{stderr}"
    );
    let output = Command::new(ironprep_e2e::ironprep())
        .current_dir(dir.path())
        .args(["check", "--agent"])
        .arg(support::agent())
        .args(["-F", "missing_config", "--hosts", "node1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("missing_config"), "{stderr}");
}

/// `ironprep check -K` on a pseudo-terminal (util-linux `script`), its stdout and stderr
/// redirected to files as in `2>&1 | tee`: the password is typed only once the prompt is shown
/// (and the terminal's own echo is off, see below). Returns the exit code and what the
/// terminal showed.
fn check_with_become_password(fleet: &Fleet, password: &str) -> (Option<i32>, String) {
    on_terminal(
        fleet,
        "--ssh-key client_key -i inventory.yaml -K",
        "BECOME password: ",
        password,
    )
}

/// `ironprep check ARGUMENTS` on a pseudo-terminal, `answer` typed once `prompt` is shown.
fn on_terminal(
    fleet: &Fleet,
    arguments: &str,
    prompt: &str,
    answer: &str,
) -> (Option<i32>, String) {
    use std::io::{Read as _, Write as _};
    // `stty -echo`: the test types the password as soon as the prompt is shown, possibly
    // before ironprep turned echo off; a terminal echoing it would be the terminal's doing.
    let command = format!(
        "stty -echo; {} check --agent {} --known-hosts known_hosts {arguments} \
         --only {PASSABLE} --format json --output report.json >stdout.txt 2>stderr.txt",
        ironprep_e2e::ironprep().display(),
        support::agent().display(),
    );
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(fleet.path(""))
        .env_remove("SSH_AUTH_SOCK")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut shown = Vec::new();
    let mut buffer = [0u8; 256];
    while !String::from_utf8_lossy(&shown).contains(prompt) {
        match stdout.read(&mut buffer).unwrap() {
            0 => break,
            read => shown.extend_from_slice(&buffer[..read]),
        }
    }
    stdin.write_all(format!("{answer}\n").as_bytes()).unwrap();
    stdout.read_to_end(&mut shown).unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    (status.code(), String::from_utf8_lossy(&shown).into_owned())
}

#[test]
fn a_sudo_password_asked_on_the_terminal_never_shown() {
    if !can_run("become") {
        return;
    }
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` is missing (apt-get install -y bsdutils)");
        return;
    }
    let fleet = Fleet::up("become", &["pw:sudo-password"]);
    let password = std::fs::read_to_string(fleet.path("sudo_password")).unwrap();
    let password = password.trim();
    let everything = |shown: &str| {
        let mut all = shown.to_owned();
        for file in ["stdout.txt", "stderr.txt", "report.json", "pw/sshd.log"] {
            let text = std::fs::read_to_string(fleet.path(file)).unwrap_or_default();
            assert!(!text.contains(password), "{file}: {text}");
            all.push_str(&text);
        }
        all
    };

    let (code, shown) = check_with_become_password(&fleet, password);
    let stderr = std::fs::read_to_string(fleet.path("stderr.txt")).unwrap_or_default();
    assert_eq!(code, Some(0), "terminal: {shown}\nstderr: {stderr}");
    let report = read_report(&fleet, "report.json");
    assert_eq!(report.hosts[0].outcome, HostOutcome::Reported);
    assert!(!everything(&shown).contains(password));
    assert!(fleet.leftovers("pw").is_empty());

    // A wrong password is named as such, and not shown either.
    let wrong = "not-the-password-4711";
    let (code, shown) = check_with_become_password(&fleet, wrong);
    assert_eq!(code, Some(3), "{shown}");
    let report = read_report(&fleet, "report.json");
    assert_eq!(report.hosts[0].outcome, HostOutcome::AgentFailed);
    let error = report.hosts[0].error.as_deref().unwrap_or_default();
    assert!(
        error.contains("sudo refused the --ask-become-pass password"),
        "{error}"
    );
    let all = everything(&shown);
    assert!(!all.contains(wrong) && !all.contains(password));
    assert!(fleet.leftovers("pw").is_empty());
}

#[test]
fn a_key_passphrase_is_asked_on_the_terminal_with_stderr_piped() {
    if !can_run("passphrase") {
        return;
    }
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` is missing (apt-get install -y bsdutils)");
        return;
    }
    let fleet = Fleet::up("passphrase", &["locked"]);
    std::fs::copy(fleet.path("client_key"), fleet.path("locked_key")).unwrap();
    let passphrase = "correct horse 3917";
    let changed = Command::new("ssh-keygen")
        .args(["-q", "-p", "-N", passphrase, "-P", "", "-f"])
        .arg(fleet.path("locked_key"))
        .output()
        .unwrap();
    assert!(changed.status.success());
    let (code, shown) = on_terminal(
        &fleet,
        "--ssh-key locked_key -i inventory.yaml",
        "passphrase for ",
        passphrase,
    );
    let stderr = std::fs::read_to_string(fleet.path("stderr.txt")).unwrap_or_default();
    assert_eq!(code, Some(0), "terminal: {shown}\nstderr: {stderr}");
    assert!(shown.contains("passphrase for locked_key"), "{shown}");
    let report = read_report(&fleet, "report.json");
    assert_eq!(report.hosts[0].outcome, HostOutcome::Reported);
    for text in [shown, stderr] {
        assert!(!text.contains(passphrase));
    }
}
