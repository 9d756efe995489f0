//! The output options every command shares, from the outside: `--output` is written whole or
//! not at all and an unwritable one stops the run before anything is contacted, a closed pipe
//! ends quietly, colour follows `--color` and `NO_COLOR` the same way in every command, nothing
//! from an input reaches the terminal raw, and lint never echoes secret material in any format.

use std::io::Read as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn ironprep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ironprep"))
        .args(args)
        .output()
        .unwrap()
}

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/lint-fixtures")
        .join(path)
}

#[test]
fn an_unwritable_output_stops_the_run_before_any_host_is_contacted() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let host = format!("root@127.0.0.1:{}", listener.local_addr().unwrap().port());
    let output = ironprep(&[
        "check",
        "--hosts",
        &host,
        "--agent",
        "/bin/true",
        "--output",
        "/nonexistent-directory/report.json",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--output /nonexistent-directory/report.json"),
        "{stderr}"
    );
    assert!(
        listener.accept().is_err(),
        "the host was contacted although the report could never be written"
    );
}

#[test]
fn output_files_appear_whole_and_leave_nothing_beside_them() {
    let directory = tempfile::tempdir().unwrap();
    let report = directory.path().join("lint.json");
    let bad = fixture("rules/kcp.replicas/bad.yaml");
    let output = ironprep(&[
        "lint",
        bad.to_str().unwrap(),
        "--format",
        "json",
        "--output",
        report.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "the report went to the file");
    let text = std::fs::read_to_string(&report).unwrap();
    let document: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(document["findings"][0]["rule"], "kcp.replicas");
    let names: Vec<String> = std::fs::read_dir(directory.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["lint.json"]);
    // A directory as --output is refused up front.
    let output = ironprep(&[
        "lint",
        bad.to_str().unwrap(),
        "--output",
        directory.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // The reader goes away before ironprep writes: every write then fails with EPIPE.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ironprep"))
        .args(["lint", "--list-rules", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(status.code(), Some(0));
}

/// `command` run on a pseudo-terminal (util-linux `script`), as a person would see it.
fn on_terminal(command: &str, no_color: Option<&str>) -> String {
    let mut script = Command::new("script");
    script
        .args(["-qec", command, "/dev/null"])
        .env("COLUMNS", "100");
    match no_color {
        Some(value) => script.env("NO_COLOR", value),
        None => script.env_remove("NO_COLOR"),
    };
    let output = script.output().unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn colour_follows_the_same_rules_in_every_command() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` is missing (apt-get install -y bsdutils)");
        return;
    }
    let ironprep = env!("CARGO_BIN_EXE_ironprep");
    let bad = fixture("rules/kcp.replicas/bad.yaml");
    let agent = Path::new(ironprep).with_file_name("ironprep-agent");
    let mut commands = vec![format!("{ironprep} lint {}", bad.display())];
    if agent.is_file() {
        commands.push(format!("{} --only memory.swap --verbose", agent.display()));
    }
    for command in &commands {
        assert!(
            on_terminal(command, None).contains("\x1b["),
            "{command}: a terminal gets colour"
        );
        assert!(
            on_terminal(command, Some("")).contains("\x1b["),
            "{command}: an empty NO_COLOR does not count"
        );
        assert!(
            !on_terminal(command, Some("1")).contains("\x1b["),
            "{command}: NO_COLOR=1 turns it off"
        );
        assert!(
            on_terminal(&format!("{command} --color always"), Some("1")).contains("\x1b["),
            "{command}: --color always wins over NO_COLOR"
        );
        assert!(
            !on_terminal(&format!("{command} --color never"), None).contains("\x1b["),
            "{command}: --color never"
        );
    }
}

#[test]
fn escapes_decoded_from_a_manifest_never_reach_the_terminal() {
    let directory = tempfile::tempdir().unwrap();
    let manifest = directory.path().join("evil.yaml");
    // YAML decodes "\e" to ESC: a placeholder whose text clears the screen and fakes a verdict.
    std::fs::write(
        &manifest,
        "apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\nkind: BaremetalCluster\n\
         metadata:\n  name: global\n  namespace: cpaas-system\nspec:\n  \
         controlPlaneLoadBalancer:\n    type: Internal\n    \
         host: \"${VIP\\e[2J\\e[1;1Hlint: 0 errors}\"\n    port: 6443\n    vrid: 51\n",
    )
    .unwrap();
    for format in ["table", "junit"] {
        let output = ironprep(&[
            "lint",
            manifest.to_str().unwrap(),
            "--format",
            format,
            "--color",
            "never",
        ]);
        let text = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{text}");
        assert!(!text.contains('\x1b'), "{format}: {text:?}");
        assert!(text.contains("\\x1b[2J"), "{format}: shown escaped: {text}");
    }
}

#[test]
fn lint_never_echoes_private_key_material_in_any_format() {
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("ec");
    let made = ironprep(&[
        "certs",
        "dex-tls",
        "--host-ip",
        "127.0.0.1",
        "--key-type",
        "ecdsa-p256",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(made.status.code(), Some(0));
    let secret = out.join("dex-tls-secret.yaml");
    let text = std::fs::read_to_string(&secret).unwrap();
    let key_line = text
        .lines()
        .find(|line| line.trim_start().starts_with("tls.key:"))
        .unwrap()
        .to_owned();
    let key = key_line.split_once(':').unwrap().1.trim().to_owned();
    assert!(key.len() > 100, "{key_line}");
    // The reproduction of the review: the tls.key line twice is a duplicate-key input error.
    let doubled = text.replace(&key_line, &format!("{key_line}\n{key_line}"));
    std::fs::write(&secret, doubled).unwrap();
    // Every 12-character window of the key: no excerpt of it may appear anywhere.
    let windows: Vec<&str> = (0..key.len() - 12).map(|at| &key[at..at + 12]).collect();
    for format in ["table", "json", "junit", "sarif", "html"] {
        let output = ironprep(&["lint", secret.to_str().unwrap(), "--format", format, "-v"]);
        assert_eq!(output.status.code(), Some(2), "{format}");
        let printed = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        let leaked: Vec<&&str> = windows.iter().filter(|w| printed.contains(**w)).collect();
        assert!(leaked.is_empty(), "{format} leaks key material: {printed}");
        if format == "table" {
            assert!(printed.contains("(tls.key withheld"), "{printed}");
        }
    }
}
