//! End-to-end tests of `ironprep bmc check` against real Redfish servers on loopback: the three
//! real BMC captures and the project's failure mockups served by `sushy-static`, the
//! `sushy-emulator`, and BMCs that are down, silent, refuse the login, or are not Redfish at
//! all. Every run also proves the BMC password appears in no output.

#[path = "support/redfish.rs"]
mod redfish;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use redfish::{
    Behaviour, Emulator, USER, captures, compose, free_port, host, ironprep, json, pki,
    serve_silence, serve_static, serve_web_page, statuses, sushy_available,
};
use serde_json::Value;

/// Checks `(id, status)` of a host; checks not named must pass.
fn assert_verdicts(report: &Value, name: &str, expected: &[(&str, &str)]) {
    let expected: BTreeMap<&str, &str> = expected.iter().copied().collect();
    let host = host(report, name);
    assert_eq!(host["outcome"], "reported", "{name}: {host:#}");
    let seen = statuses(host);
    assert_eq!(seen.len(), 11, "{name}: every BMC check reported: {seen:?}");
    for (id, status) in &seen {
        let want = expected.get(id.as_str()).copied().unwrap_or("pass");
        assert_eq!(
            status, want,
            "{name}: {id} is {status}, expected {want}\n{:#}",
            host["report"]["checks"]
        );
    }
}

fn known_hosts_args(directory: &tempfile::TempDir) -> Vec<String> {
    vec![
        "--bmc-known-hosts".to_owned(),
        directory
            .path()
            .join("bmc_known_hosts")
            .display()
            .to_string(),
        "--bmc-host-key-policy".to_owned(),
        "accept-new".to_owned(),
    ]
}

fn args<'a>(base: &'a [&'a str], extra: &'a [String]) -> Vec<&'a str> {
    base.iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
        .collect()
}

#[test]
fn checks_have_the_agents_ids_titles_hints_and_scopes() {
    let output = ironprep(&["bmc", "check", "--list", "--format", "json"]);
    assert!(output.status.success());
    let ours = json(&output);
    let agent = std::process::Command::new(ironprep_e2e::binary("ironprep-agent"))
        .args(["--list", "--format", "json"])
        .output()
        .unwrap();
    assert!(agent.status.success());
    let agents: Value = serde_json::from_slice(&agent.stdout).unwrap();
    let agents = agents["checks"].as_array().unwrap();
    let mut shared = 0;
    for check in ours["checks"].as_array().unwrap() {
        let id = check["id"].as_str().unwrap();
        if id.starts_with("bmc.") {
            assert!(agents.iter().all(|theirs| theirs["id"] != id), "{id}");
            continue;
        }
        let theirs = agents
            .iter()
            .find(|theirs| theirs["id"] == id)
            .unwrap_or_else(|| panic!("{id}: the agent has no such check"));
        for field in ["title", "hint", "when", "advisory"] {
            assert_eq!(
                check[field], theirs[field],
                "{id}: {field} drifted from the agent's"
            );
        }
        shared += 1;
    }
    assert_eq!(shared, 8, "the hardware checks the SPEC lists for BMCs");
}

#[test]
fn captures_and_failure_mockups_get_their_verdicts() {
    if !sushy_available("captures_and_failure_mockups_get_their_verdicts") {
        return;
    }
    let mut servers = Vec::new();
    let mut lines: Vec<(String, &str)> = Vec::new();
    if let Some(captures) = captures("captures_and_failure_mockups_get_their_verdicts") {
        for (name, folder) in [
            ("dell", "dell-r750"),
            ("hpe", "hpe-dl385-gen10plus-v2"),
            ("supermicro", "supermicro-sys-821ge-tnhr"),
        ] {
            let server = serve_static(&captures.join(folder));
            lines.push((format!("{name} bmc={}", server.url()), "kube_control_plane"));
            servers.push(server);
        }
    }
    let mut mockups = Vec::new();
    for (name, overlay, group) in [
        ("lab", None, "kube_control_plane"),
        ("tpm12", Some("tpm12-legacy"), "kube_node"),
        (
            "placeholder",
            Some("placeholder-serial"),
            "kube_control_plane",
        ),
        (
            "placeholder-clone",
            Some("placeholder-serial"),
            "kube_control_plane",
        ),
        ("dup", Some("duplicate-uuid"), "kube_control_plane"),
        ("nvm", Some("no-virtual-media"), "kube_control_plane"),
    ] {
        let mockup = compose(overlay);
        let server = serve_static(mockup.path());
        lines.push((
            format!("{name} bmc={} bmc_user={USER}", server.url()),
            group,
        ));
        servers.push(server);
        mockups.push(mockup);
    }
    let directory = tempfile::tempdir().unwrap();
    let inventory = directory.path().join("hosts.ini");
    let mut text = String::new();
    for group in ["kube_control_plane", "kube_node"] {
        text.push_str(&format!("[{group}]\n"));
        for (line, _) in lines.iter().filter(|(_, in_group)| *in_group == group) {
            text.push_str(line);
            text.push('\n');
        }
    }
    std::fs::write(&inventory, text).unwrap();
    let pins = known_hosts_args(&directory);
    let inventory = inventory.display().to_string();
    let base = [
        "bmc",
        "check",
        "-i",
        &inventory,
        "--bmc-user",
        "root",
        "--format",
        "json",
    ];
    let output = ironprep(&args(&base, &pins));
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json(&output);

    if servers.len() > 6 {
        // Dell: all four enabled ports LinkDown while the host is on.
        assert_verdicts(&report, "dell", &[("net.nics", "fail")]);
        let dell = &host(&report, "dell")["report"]["host"];
        assert_eq!(
            dell["system_serial"], "F54P1G3",
            "Dell's SMBIOS serial is the Service Tag"
        );
        assert_eq!(dell["bmc"]["serial_number"], "CNIVC0014M0388");
        assert_eq!(
            dell["bmc"]["boot"]["mode_source"],
            "BIOS attribute BootMode"
        );
        // HPE: no LinkStatus; only a turbo maximum; the SMBIOS family code 107 for an EPYC.
        assert_verdicts(
            &report,
            "hpe",
            &[("net.nics", "warn"), ("cpu.frequency", "warn")],
        );
        let hpe = host(&report, "hpe");
        let isa = &hpe["report"]["checks"][2];
        assert_eq!(isa["id"], "cpu.isa-level");
        assert!(
            isa["observed"]
                .as_str()
                .unwrap()
                .contains("AMD family 0x19 model 0x01"),
            "{isa:#}"
        );
        // The lower-case BIOS link was retried in schema spelling, and is not in the capture.
        assert_eq!(
            hpe["report"]["host"]["bmc"]["unread"][0]["resource"],
            "Bios"
        );
        assert!(
            hpe["report"]["host"]["bmc"]["virtual_media"][0]["path"]
                .as_str()
                .unwrap()
                .starts_with("/redfish/v1/Managers/1/VirtualMedia/"),
            "HPE's virtual media is only under the manager"
        );
        // Supermicro: no TrustedModules, NVMe drives without MediaType, hex ProcessorId.
        assert_verdicts(
            &report,
            "supermicro",
            &[("net.nics", "fail"), ("hw.tpm", "warn")],
        );
        let supermicro = &host(&report, "supermicro")["report"]["host"]["bmc"];
        assert!(
            supermicro["nics"]
                .as_array()
                .unwrap()
                .iter()
                .all(|nic| nic["id"] != "ToManager"),
            "the BMC's host interface is not a host NIC"
        );
    }
    assert_verdicts(&report, "lab", &[]);
    // A worker: sized as a worker (seed 004), no frequency or etcd-disk requirement.
    let worker = [
        ("cpu.frequency", "skip"),
        ("disk.ssd", "skip"),
        ("hw.tpm", "fail"),
        ("bmc.boot-mode", "fail"),
    ];
    assert_verdicts(&report, "tpm12", &worker);
    assert_verdicts(&report, "placeholder", &[("hw.smbios-identity", "fail")]);
    assert_verdicts(&report, "dup", &[]);
    assert_verdicts(&report, "nvm", &[("bmc.virtual-media", "fail")]);

    let fleet: BTreeMap<&str, &Value> = report["fleet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|check| (check["id"].as_str().unwrap(), check))
        .collect();
    let uuid = fleet["fleet.uuid-unique"];
    assert_eq!(uuid["status"], "fail");
    let mut involved: Vec<&str> = uuid["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|host| host.as_str().unwrap())
        .collect();
    involved.sort();
    assert_eq!(involved, ["dup", "lab", "placeholder", "placeholder-clone"]);
    let serial = fleet["fleet.serial-unique"];
    assert_eq!(serial["status"], "fail");
    assert_eq!(
        serial["hosts"],
        serde_json::json!(["placeholder", "placeholder-clone"])
    );
    // Eight control-plane hosts with the captures (even: etcd loses its tie-breaker), five
    // without them.
    let (control_planes, verdict) = if servers.len() > 6 {
        (8, "warn")
    } else {
        (5, "pass")
    };
    assert_eq!(
        fleet["fleet.role-count"]["status"], verdict,
        "{control_planes} control-plane hosts: {:#}",
        fleet["fleet.role-count"]
    );

    // The same run for people: the table names the failing checks and hosts.
    let table = ironprep(&args(
        &["bmc", "check", "-i", &inventory, "--bmc-user", "root"],
        &pins,
    ));
    let text = String::from_utf8_lossy(&table.stdout);
    for needle in [
        "hw.smbios-identity",
        "bmc.virtual-media",
        "fleet.uuid-unique",
        "ThinkSystem SR650 V2",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    drop(servers);
}

#[test]
fn answers_that_are_not_redfish_are_that_hosts_error() {
    if !sushy_available("answers_that_are_not_redfish_are_that_hosts_error") {
        return;
    }
    let lab = compose(None);
    let malformed = compose(Some("malformed"));
    let lab_server = serve_static(lab.path());
    let malformed_server = serve_static(malformed.path());
    let web = serve_web_page();
    let directory = tempfile::tempdir().unwrap();
    let bmcs = format!(
        "{},{},https://{web},{}#Nope",
        lab_server.url(),
        malformed_server.url(),
        lab_server.url()
    );
    let base = [
        "bmc",
        "check",
        "--bmc",
        &bmcs,
        "--bmc-user",
        USER,
        "--format",
        "json",
    ];
    let output = ironprep(&args(&base, &known_hosts_args(&directory)));
    assert_eq!(
        output.status.code(),
        Some(3),
        "hosts not read, nothing failed"
    );
    let report = json(&output);
    let lab_name = format!("127.0.0.1:{}", lab_server.port);
    assert_eq!(report["hosts"][0]["outcome"], "reported");
    let broken = host(&report, &format!("127.0.0.1:{}", malformed_server.port));
    assert_eq!(broken["outcome"], "invalid-report");
    assert_eq!(
        broken["error"],
        "/redfish/v1/Systems/1: not a Redfish answer: malformed JSON (EOF while parsing a value \
         at line 2 column 0)"
    );
    let page = &report["hosts"][2];
    assert_eq!(page["outcome"], "invalid-report");
    assert_eq!(
        page["error"],
        "/redfish/v1/: not a Redfish answer: HTML or XML instead of JSON ('<!DOCTYPE \
         html><html><body>Welcome to th…')"
    );
    let unknown = &report["hosts"][3];
    assert_eq!(unknown["host"], lab_name);
    assert_eq!(unknown["outcome"], "invalid-report");
    assert_eq!(unknown["error"], "no system 'Nope' on this BMC (it has: 1)");

    // Bad URLs are input errors: nothing is contacted, exit 2, the reason named.
    let output = ironprep(&[
        "bmc",
        "check",
        "--bmc",
        "http://127.0.0.1:1",
        "--bmc-user",
        USER,
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--bmc: 'http://127.0.0.1:1' is not https"),
        "{stderr}"
    );
}

#[test]
fn down_silent_and_refusing_bmcs_cost_only_their_host() {
    if !sushy_available("down_silent_and_refusing_bmcs_cost_only_their_host") {
        return;
    }
    let lab = compose(None);
    let healthy = serve_static(lab.path());
    let emulator = Emulator::start("Off", Behaviour::default());
    let silent = serve_silence();
    let closed = free_port();
    let directory = tempfile::tempdir().unwrap();
    let inventory = directory.path().join("hosts.ini");
    std::fs::write(
        &inventory,
        format!(
            "healthy bmc={}\nrefusing bmc={} bmc_user=nobody\nsilent bmc=https://{silent}\n\
             down bmc=https://127.0.0.1:{closed}\n",
            healthy.url(),
            emulator.server.url()
        ),
    )
    .unwrap();
    let inventory = inventory.display().to_string();
    let base = [
        "bmc",
        "check",
        "-i",
        &inventory,
        "--bmc-user",
        USER,
        "--timeout",
        "3",
        "--format",
        "json",
    ];
    let started = Instant::now();
    let output = ironprep(&args(&base, &known_hosts_args(&directory)));
    let elapsed = started.elapsed();
    assert_eq!(output.status.code(), Some(3));
    // The silent BMC costs its --timeout, not the others' time; generous bound for a busy
    // machine, far below what waiting on each host in turn would take.
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
    let report = json(&output);
    assert_eq!(host(&report, "healthy")["outcome"], "reported");
    let refusing = host(&report, "refusing");
    assert_eq!(refusing["outcome"], "auth-failed");
    assert_eq!(
        refusing["error"],
        "the BMC refused the login of user 'nobody' (HTTP 401): check --bmc-user and the password"
    );
    let silent = host(&report, "silent");
    assert_eq!(silent["outcome"], "timeout", "{silent:#}");
    assert_eq!(host(&report, "down")["outcome"], "unreachable");
    assert!(
        host(&report, "down")["error"]
            .as_str()
            .unwrap()
            .starts_with("cannot reach the BMC:"),
    );
}

#[test]
fn certificates_are_verified_pinned_or_refused() {
    if !sushy_available("certificates_are_verified_pinned_or_refused") {
        return;
    }
    let lab = compose(None);
    let server = serve_static(lab.path());
    let url = server.url();
    let pki = pki();
    let run = |extra: &[&str]| {
        let mut all = vec![
            "bmc",
            "check",
            "--bmc",
            &url,
            "--bmc-user",
            USER,
            "--format",
            "json",
        ];
        all.extend_from_slice(extra);
        let output = ironprep(&all);
        let outcome = json(&output)["hosts"][0].clone();
        (output, outcome)
    };
    let ca = pki.ca().display().to_string();
    let (_, host) = run(&["--bmc-ca", &ca]);
    assert_eq!(host["outcome"], "reported", "{host:#}");

    let foreign = pki.foreign_ca().display().to_string();
    let (output, host) = run(&["--bmc-ca", &foreign]);
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(host["outcome"], "tls-untrusted");
    assert!(
        host["error"]
            .as_str()
            .unwrap()
            .starts_with("the certificate is not trusted by --bmc-ca"),
        "{host:#}"
    );

    let directory = tempfile::tempdir().unwrap();
    let pins = directory.path().join("bmc_known_hosts");
    let pins_arg = pins.display().to_string();
    let (_, host) = run(&["--bmc-known-hosts", &pins_arg]);
    assert_eq!(host["outcome"], "tls-untrusted");
    let error = host["error"].as_str().unwrap();
    assert!(error.starts_with("the BMC's key SHA256:"), "{error}");
    assert!(
        error.contains("--bmc-host-key-policy accept-new"),
        "{error}"
    );
    assert!(!pins.exists(), "strict never writes the file");

    let (output, host) = run(&[
        "--bmc-known-hosts",
        &pins_arg,
        "--bmc-host-key-policy",
        "accept-new",
    ]);
    assert_eq!(host["outcome"], "reported");
    let written = std::fs::read_to_string(&pins).unwrap();
    let line = format!("127.0.0.1:{} SHA256:", server.port);
    assert!(written.starts_with(&line), "{written}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("ironprep: pinned 127.0.0.1:"));
    let (_, host) = run(&["--bmc-known-hosts", &pins_arg]);
    assert_eq!(
        host["outcome"], "reported",
        "the learned pin is trusted from now on"
    );

    std::fs::write(
        &pins,
        format!("{line}47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n"),
    )
    .unwrap();
    let (_, host) = run(&[
        "--bmc-known-hosts",
        &pins_arg,
        "--bmc-host-key-policy",
        "accept-new",
    ]);
    assert_eq!(
        host["outcome"], "tls-untrusted",
        "a changed key is refused even with accept-new"
    );
    assert!(
        host["error"]
            .as_str()
            .unwrap()
            .starts_with("the BMC's key changed:")
    );

    let (output, host) = run(&["--bmc-insecure"]);
    assert_eq!(host["outcome"], "reported");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("WARNING: --bmc-insecure: BMC certificates are NOT verified"),
        "{stderr}"
    );
}

#[test]
fn the_password_stays_out_of_every_output() {
    if !sushy_available("the_password_stays_out_of_every_output") {
        return;
    }
    let emulator = Emulator::start("Off", Behaviour::default());
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("password");
    std::fs::write(&file, format!("{}\n", redfish::PASSWORD)).unwrap();
    let file = file.display().to_string();
    let pins = known_hosts_args(&directory);
    for format in ["table", "json", "junit"] {
        for user in [USER, "nobody"] {
            let base = [
                "bmc",
                "check",
                "--bmc",
                &emulator.server.url(),
                "--bmc-user",
                user,
                "--bmc-password-file",
                &file,
                "--format",
                format,
            ];
            let output = ironprep(&args(&base, &pins));
            let expected = if user == USER { 1 } else { 3 };
            assert_eq!(output.status.code(), Some(expected), "{format} {user}");
            if format == "junit" {
                // An auth-failed BMC is one error case; a checked one a suite of checks.
                ironprep_e2e::assert_junit(&output.stdout, &format!("bmc check junit {user}"));
            }
        }
    }
    // The emulator saw the password in the Authorization header: it was sent, only there.
    assert!(emulator.requests().len() > 3);
}

/// Two BMCs serving the TPM 1.2 mockup as workers: each fails `hw.tpm` and `bmc.boot-mode`
/// (legacy BIOS), and as clones they share a UUID and a serial. `--waivers FILE` with the
/// inventory's `edge-1` and `rack-1`, in `format`.
fn waived_bmc_run(waivers: &str, format: &str) -> std::process::Output {
    let mockup = compose(Some("tpm12-legacy"));
    let (edge, rack) = (serve_static(mockup.path()), serve_static(mockup.path()));
    let directory = tempfile::tempdir().unwrap();
    let inventory = directory.path().join("hosts.ini");
    std::fs::write(
        &inventory,
        format!(
            "[kube_node]\nedge-1 bmc={} bmc_user={USER}\nrack-1 bmc={} bmc_user={USER}\n",
            edge.url(),
            rack.url()
        ),
    )
    .unwrap();
    let file = directory.path().join("waivers.yaml");
    std::fs::write(&file, waivers).unwrap();
    let (inventory, file) = (inventory.display().to_string(), file.display().to_string());
    let base = [
        "bmc",
        "check",
        "-i",
        &inventory,
        "--waivers",
        &file,
        "--color",
        "never",
        "--format",
        format,
    ];
    ironprep(&args(&base, &known_hosts_args(&directory)))
}

/// `hw.tpm` on the edge hosts only, the legacy boot mode and both clone collisions everywhere.
const BMC_WAIVERS: &str = "\
- check: hw.tpm
  hosts: [edge-*]
  reason: TPM 1.2 on the edge rack until the board swap
  owner: dc-ops
  expires: 2999-12-31
- check: bmc.boot-mode
  reason: these boards are re-flashed to UEFI at racking
- check: fleet.uuid-unique
  reason: both BMCs serve one mockup
- check: fleet.serial-unique
  reason: both BMCs serve one mockup
";

#[test]
fn waived_bmc_checks_are_reported_as_waived_in_every_format_and_fail_nothing() {
    if !sushy_available("waived_bmc_checks_are_reported_as_waived_in_every_format") {
        return;
    }
    let output = waived_bmc_run(BMC_WAIVERS, "json");
    let stderr = String::from_utf8_lossy(&output.stderr);
    // rack-1's TPM is not waived: it alone still fails the run.
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let report = json(&output);
    ironprep_e2e::assert_schema("fleet-report", &report);
    let check = |host_name: &str, id: &str| -> Value {
        host(&report, host_name)["report"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|check| check["id"] == id)
            .unwrap_or_else(|| panic!("{host_name}: no {id}"))
            .clone()
    };
    let edge_tpm = check("edge-1", "hw.tpm");
    assert_eq!(edge_tpm["status"], "waived", "{edge_tpm:#}");
    let words = edge_tpm["reason"].as_str().unwrap();
    assert!(
        words.starts_with("waived (fail: ")
            && words.contains("TPM 1.2 on the edge rack until the board swap")
            && words.contains("owner dc-ops")
            && words.contains("until 2999-12-31"),
        "{words}"
    );
    assert!(
        !edge_tpm["observed"].as_str().unwrap().is_empty(),
        "a waived check ran and still says what it saw: {edge_tpm:#}"
    );
    assert_eq!(check("rack-1", "hw.tpm")["status"], "fail");
    for host_name in ["edge-1", "rack-1"] {
        assert_eq!(check(host_name, "bmc.boot-mode")["status"], "waived");
    }
    for fleet_check in report["fleet"].as_array().unwrap() {
        let want = match fleet_check["id"].as_str().unwrap() {
            "fleet.uuid-unique" | "fleet.serial-unique" => "waived",
            // Workers only: nothing to count.
            _ => "skip",
        };
        assert_eq!(fleet_check["status"], want, "{fleet_check:#}");
    }
    assert_eq!(report["summary"]["fail"], 1, "{:#}", report["summary"]);
    assert_eq!(report["summary"]["waived"], 5, "{:#}", report["summary"]);

    let output = waived_bmc_run(BMC_WAIVERS, "table");
    assert_eq!(output.status.code(), Some(1));
    let table = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "FAIL  rack-1 (1)\n      hw.tpm · waived: bmc.boot-mode",
        "ok    edge-1 (1)\n      waived: hw.tpm, bmc.boot-mode",
        "FAIL  hw.tpm",
        "WAIVED hw.tpm",
        "waived (fail: TPM1_2 (firmware 5.81), Enabled): TPM 1.2 on the edge rack",
        "WAIVED bmc.boot-mode",
        "WAIVED fleet.uuid-unique",
        "WAIVED fleet.serial-unique",
        "1 fail, 5 skip, 0 error, 5 waived",
    ] {
        assert!(table.contains(needle), "{needle} missing from:\n{table}");
    }

    let output = waived_bmc_run(BMC_WAIVERS, "junit");
    assert_eq!(output.status.code(), Some(1));
    ironprep_e2e::assert_junit(&output.stdout, "bmc check --waivers --format junit");
    let xml = String::from_utf8_lossy(&output.stdout);
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
    assert_eq!(
        xml.matches("<skipped message=\"waived (fail:").count(),
        5,
        "{xml}"
    );

    // With rack-1 waived too nothing fails: exit 0 in every format.
    let everything = BMC_WAIVERS.replace("[edge-*]", "[edge-*, rack-*]");
    for format in ["json", "table", "junit"] {
        let output = waived_bmc_run(&everything, format);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn expired_and_unknown_bmc_waivers_stop_the_run_before_any_bmc() {
    if !sushy_available("expired_and_unknown_bmc_waivers_stop_the_run_before_any_bmc") {
        return;
    }
    let expired = BMC_WAIVERS.replace("2999-12-31", "2021-03-31");
    // memory.swap is a check of the agent on a running OS; a BMC never reports it.
    let unknown = format!("{BMC_WAIVERS}- check: memory.swap\n  reason: zram\n");
    for format in ["table", "json", "junit"] {
        let output = waived_bmc_run(&expired, format);
        assert_eq!(output.status.code(), Some(2), "{format}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("waivers.yaml:1: the waiver of hw.tpm expired on 2021-03-31")
                && stderr.contains("owner dc-ops"),
            "{format}: {stderr}"
        );
        assert!(output.stdout.is_empty(), "{format}: nothing is reported");
        assert!(
            !stderr.contains("pinned"),
            "{format}: no BMC was contacted: {stderr}"
        );

        let output = waived_bmc_run(&unknown, format);
        assert_eq!(output.status.code(), Some(2), "{format}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(
                "waivers.yaml:12: waiver 5: `check`: unknown check ID 'memory.swap' (see \
                 ironprep bmc check --list)"
            ),
            "{format}: {stderr}"
        );
        assert!(output.stdout.is_empty(), "{format}: nothing is reported");
    }
}
