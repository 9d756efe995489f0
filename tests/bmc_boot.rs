//! End-to-end tests of `ironprep bmc boot` against `sushy-emulator` (fake driver) on loopback,
//! which downloads the inserted ISO from a server the test runs: the dry run sends nothing; with
//! `--yes` the emulator holds the ISO, the one-time Cd override and a power action, and the
//! requests it received say exactly that (it shows every override as `Continuous`, so what was
//! sent is asserted too); a busy BMC that answers with tasks is retried and followed; hosts
//! whose state cannot be read are refused before anything is sent.

#[path = "support/redfish.rs"]
mod redfish;

use redfish::{
    Behaviour, Emulator, SECOND_SYSTEM, USER, compose, ironprep, json, serve_iso, serve_static,
    sushy_available,
};
use serde_json::{Value, json};

fn boot(
    emulator_url: &str,
    pins: &tempfile::TempDir,
    extra: &[&str],
) -> (std::process::Output, Value) {
    let known = pins.path().join("bmc_known_hosts").display().to_string();
    let mut args = vec![
        "bmc",
        "boot",
        "--bmc",
        emulator_url,
        "--bmc-user",
        USER,
        "--bmc-known-hosts",
        &known,
        "--bmc-host-key-policy",
        "accept-new",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let output = ironprep(&args);
    let report = json(&output);
    (output, report)
}

fn steps(report: &Value) -> Vec<(String, String)> {
    report["hosts"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| {
            (
                step["action"].as_str().unwrap().to_owned(),
                step["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn without_yes_nothing_is_sent() {
    if !sushy_available("without_yes_nothing_is_sent") {
        return;
    }
    let emulator = Emulator::start("Off", Behaviour::default());
    let iso = serve_iso(b"not really an ISO".to_vec());
    let pins = tempfile::tempdir().unwrap();
    let (output, report) = boot(&emulator.server.url(), &pins, &["--iso", &iso.url]);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["hosts"][0]["result"], "planned");
    assert_eq!(
        steps(&report),
        pairs(&[
            ("insert-media", "planned"),
            ("boot-override", "planned"),
            ("power-on", "planned"),
        ])
    );
    assert_eq!(emulator.writes(), Vec::new(), "a dry run sends no write");
    let cd = emulator.get(&format!(
        "/redfish/v1/Systems/{}/VirtualMedia/Cd",
        emulator.system
    ));
    assert_eq!(cd["Inserted"], false);
    assert_eq!(*iso.downloads.lock().unwrap(), 0);

    // The human plan says the same, and that nothing changed.
    let known = pins.path().join("bmc_known_hosts").display().to_string();
    let output = ironprep(&[
        "bmc",
        "boot",
        "--bmc",
        &emulator.server.url(),
        "--bmc-user",
        USER,
        "--bmc-known-hosts",
        &known,
        "--iso",
        &iso.url,
    ]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains(&format!("insert {} into /redfish/v1/Systems/", iso.url)),
        "{text}"
    );
    assert!(
        text.contains("dry run: nothing was changed on any BMC"),
        "{text}"
    );
    assert_eq!(emulator.writes(), Vec::new());
}

#[test]
fn with_yes_the_iso_is_inserted_booted_once_and_the_host_powered_on() {
    if !sushy_available("with_yes_the_iso_is_inserted_booted_once_and_the_host_powered_on") {
        return;
    }
    let emulator = Emulator::start("Off", Behaviour::default());
    let iso = serve_iso(vec![0x42; 64 * 1024]);
    let pins = tempfile::tempdir().unwrap();
    let (output, report) = boot(&emulator.server.url(), &pins, &["--iso", &iso.url, "--yes"]);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["dry_run"], false);
    assert_eq!(report["hosts"][0]["result"], "done");
    assert_eq!(
        steps(&report),
        pairs(&[
            ("insert-media", "done"),
            ("boot-override", "done"),
            ("power-on", "done")
        ])
    );
    let system = format!("/redfish/v1/Systems/{}", emulator.system);
    let cd = format!("{system}/VirtualMedia/Cd");
    assert_eq!(
        emulator.writes(),
        vec![
            (
                "POST".to_owned(),
                format!("{cd}/Actions/VirtualMedia.InsertMedia"),
                json!({"Image": iso.url, "Inserted": true, "WriteProtected": true}),
            ),
            (
                "PATCH".to_owned(),
                system.clone(),
                json!({"Boot": {"BootSourceOverrideEnabled": "Once",
                    "BootSourceOverrideTarget": "Cd", "BootSourceOverrideMode": "UEFI"}}),
            ),
            (
                "POST".to_owned(),
                format!("{system}/Actions/ComputerSystem.Reset"),
                json!({"ResetType": "On"}),
            ),
        ]
    );
    let media = emulator.get(&cd);
    assert_eq!(media["Image"], iso.url);
    assert_eq!(media["Inserted"], true);
    let shown = emulator.get(&system);
    assert_eq!(shown["Boot"]["BootSourceOverrideTarget"], "Cd");
    assert_eq!(shown["Boot"]["BootSourceOverrideMode"], "UEFI");
    assert_eq!(
        *iso.downloads.lock().unwrap(),
        1,
        "the emulator fetched the ISO"
    );

    // Again: the ISO is already in, so it is not inserted twice.
    let (_, again) = boot(&emulator.server.url(), &pins, &["--iso", &iso.url]);
    assert_eq!(
        again["hosts"][0]["steps"][0]["detail"],
        format!("{cd} already holds {}", iso.url)
    );

    // After registration: eject.
    let before = emulator.writes().len();
    let (output, report) = boot(&emulator.server.url(), &pins, &["--eject", "--yes"]);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(steps(&report), pairs(&[("eject-media", "done")]));
    let writes = emulator.writes();
    assert_eq!(writes.len(), before + 1);
    assert_eq!(
        writes[before].1,
        format!("{cd}/Actions/VirtualMedia.EjectMedia")
    );
    assert_eq!(emulator.get(&cd)["Inserted"], false);
}

#[test]
fn a_busy_bmc_is_retried_and_its_tasks_followed() {
    if !sushy_available("a_busy_bmc_is_retried_and_its_tasks_followed") {
        return;
    }
    let emulator = Emulator::start(
        "On",
        Behaviour {
            busy_with_tasks: true,
            ..Behaviour::default()
        },
    );
    let iso = serve_iso(b"iso".to_vec());
    let pins = tempfile::tempdir().unwrap();
    let (output, report) = boot(&emulator.server.url(), &pins, &["--iso", &iso.url, "--yes"]);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(
        steps(&report),
        pairs(&[
            ("insert-media", "done"),
            ("boot-override", "done"),
            ("reset", "done")
        ])
    );
    let writes: Vec<String> = emulator
        .writes()
        .into_iter()
        .map(|(method, path, _)| format!("{method} {}", path.rsplit('/').next().unwrap()))
        .collect();
    // Each write answered 503 once, then accepted.
    assert_eq!(
        writes,
        [
            "POST VirtualMedia.InsertMedia",
            "POST VirtualMedia.InsertMedia",
            &format!("PATCH {}", emulator.system),
            &format!("PATCH {}", emulator.system),
            "POST ComputerSystem.Reset",
            "POST ComputerSystem.Reset",
        ]
    );
    let last_reset = emulator.writes().pop().unwrap();
    assert_eq!(
        last_reset.2,
        json!({"ResetType": "ForceRestart"}),
        "the host was on"
    );
    assert!(
        emulator
            .requests()
            .iter()
            .any(|(method, path, _)| method == "GET" && path == "/redfish/v1/TaskService/Tasks/42"),
        "the 202's task monitor was polled"
    );
}

#[test]
fn hosts_whose_state_cannot_be_read_are_refused_and_nothing_is_sent() {
    if !sushy_available("hosts_whose_state_cannot_be_read_are_refused_and_nothing_is_sent") {
        return;
    }
    let no_media = compose(Some("no-virtual-media"));
    let no_power = compose(Some("no-power-state"));
    let no_media_server = serve_static(no_media.path());
    let no_power_server = serve_static(no_power.path());
    let healthy = compose(None);
    let healthy_server = serve_static(healthy.path());
    let pins = tempfile::tempdir().unwrap();
    let urls = format!(
        "{},{},{}",
        no_media_server.url(),
        no_power_server.url(),
        healthy_server.url()
    );
    let (output, report) = boot(
        &urls,
        &pins,
        &["--iso", "http://127.0.0.1:9/seed.iso", "--yes"],
    );
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let hosts = report["hosts"].as_array().unwrap();
    assert_eq!(hosts[0]["result"], "refused");
    assert!(
        hosts[0]["error"]
            .as_str()
            .unwrap()
            .starts_with("the BMC has no virtual CD/DVD slot with an InsertMedia action"),
        "{:#}",
        hosts[0]
    );
    assert_eq!(hosts[1]["result"], "refused");
    assert!(
        hosts[1]["error"]
            .as_str()
            .unwrap()
            .starts_with("the BMC does not report the host's power state"),
        "{:#}",
        hosts[1]
    );
    assert_eq!(hosts[0]["steps"], json!([]));
    // sushy-static accepts and ignores writes; its access log shows none reached the refused.
    for server in [&no_media_server, &no_power_server] {
        let log = server.log_text();
        assert!(log.contains("\"GET /redfish/v1/"), "{log}");
        assert!(
            !log.contains("\"POST ") && !log.contains("\"PATCH "),
            "{log}"
        );
    }
    // The healthy one was done (the static server answers 204 to every write).
    assert_eq!(hosts[2]["result"], "done", "{:#}", hosts[2]);
    assert!(healthy_server.log_text().contains(
        "\"POST /redfish/v1/Managers/BMC/VirtualMedia/CD/Actions/VirtualMedia.InsertMedia"
    ));
}

#[test]
fn a_bmc_with_several_systems_is_checked_whole_and_booted_one_system_at_a_time() {
    if !sushy_available(
        "a_bmc_with_several_systems_is_checked_whole_and_booted_one_system_at_a_time",
    ) {
        return;
    }
    let emulator = Emulator::start(
        "Off",
        Behaviour {
            second_system: true,
            ..Behaviour::default()
        },
    );
    let pins = tempfile::tempdir().unwrap();
    let known = pins.path().join("bmc_known_hosts").display().to_string();
    let url = emulator.server.url();
    let check = ironprep(&[
        "bmc",
        "check",
        "--bmc",
        &url,
        "--bmc-user",
        USER,
        "--bmc-known-hosts",
        &known,
        "--bmc-host-key-policy",
        "accept-new",
        "--format",
        "json",
    ]);
    let report = json(&check);
    let mut names: Vec<&str> = report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|host| host["host"].as_str().unwrap())
        .collect();
    names.sort();
    let bmc = format!("127.0.0.1:{}", emulator.server.port);
    let mut expected = vec![
        format!("{bmc}/{}", emulator.system),
        format!("{bmc}/{SECOND_SYSTEM}"),
    ];
    expected.sort();
    assert_eq!(names, expected);

    let iso = serve_iso(b"iso".to_vec());
    let (output, report) = boot(&url, &pins, &["--iso", &iso.url, "--yes"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(report["hosts"][0]["result"], "refused");
    assert!(
        report["hosts"][0]["error"]
            .as_str()
            .unwrap()
            .starts_with("the BMC has 2 systems"),
        "{report:#}"
    );
    assert_eq!(emulator.writes(), Vec::new());

    let one = format!("{url}#{SECOND_SYSTEM}");
    let (output, report) = boot(&one, &pins, &["--iso", &iso.url]);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["hosts"][0]["system_id"], SECOND_SYSTEM);
    assert_eq!(report["hosts"][0]["result"], "planned");
}
