//! `--format html` in a real headless Chromium (Debian's `chromium`, driven over the DevTools
//! protocol): pages of real runs — this machine's check, a lint of the fixtures, a simulated
//! fleet — and a page of hostile strings are loaded from files, their DOM is read, filters are
//! clicked and must hide and show rows, and a screenshot of each is kept under
//! `target/html-artefacts/`. The browser gets a fresh profile, no network services, and a host
//! resolver that resolves nothing: the only URLs it loads are `file://` ones, and the page's
//! policy allows no fetch at all.

#[path = "support/redfish.rs"]
mod redfish;
mod support;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions, Tab};
use ironprep_report::view::{Excerpt, Item, Location, Subject, View, ViewKind};
use ironprep_schema::{FleetReport, HostOutcome, Status};
use serde_json::Value;
use support::{Fleet, PASSABLE, can_run, read_report};

const CHROMIUM: &str = "/usr/bin/chromium";

/// The browser and its throw-away profile (removed after the browser is gone).
struct Chromium {
    browser: Browser,
    _profile: tempfile::TempDir,
}

/// `None` (skip) without Chromium, except under CI where a missing browser fails the test.
fn chromium(test: &str) -> Option<Chromium> {
    if !Path::new(CHROMIUM).exists() {
        ironprep_e2e::missing(
            test,
            "chromium is missing (scripts/install-deps.sh installs it)",
        );
        return None;
    }
    let profile = tempfile::tempdir().expect("a profile directory");
    let args: Vec<&OsStr> = [
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--no-first-run",
        "--no-default-browser-check",
        // Every name resolves to nothing: a page that tried to fetch would fail, not leak.
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ]
    .iter()
    .map(OsStr::new)
    .collect();
    let options = LaunchOptions::default_builder()
        .path(Some(PathBuf::from(CHROMIUM)))
        .headless(true)
        .sandbox(false)
        .user_data_dir(Some(profile.path().to_owned()))
        .window_size(Some((1400, 1000)))
        .idle_browser_timeout(Duration::from_secs(300))
        .args(args)
        .build()
        .expect("launch options");
    let browser = Browser::new(options).expect("start headless chromium");
    Some(Chromium {
        browser,
        _profile: profile,
    })
}

impl Chromium {
    fn open(&self, page: &Path) -> Arc<Tab> {
        let tab = self.browser.new_tab().expect("a tab");
        tab.set_default_timeout(Duration::from_secs(60));
        let url = format!(
            "file://{}",
            page.canonicalize().expect("the page").display()
        );
        tab.navigate_to(&url)
            .and_then(|tab| tab.wait_until_navigated())
            .expect("load the page");
        tab
    }
}

/// The value of a JavaScript expression, carried over as JSON (the protocol would return
/// arrays and objects by reference).
fn eval(tab: &Tab, script: &str) -> Value {
    let wrapped = format!("JSON.stringify(({script}))");
    let text = tab
        .evaluate(&wrapped, false)
        .unwrap_or_else(|error| panic!("{script}: {error}"))
        .value;
    match text {
        Some(Value::String(json)) => {
            serde_json::from_str(&json).unwrap_or_else(|error| panic!("{script}: {error}"))
        }
        _ => Value::Null,
    }
}

fn strings(tab: &Tab, script: &str) -> Vec<String> {
    serde_json::from_value(eval(tab, script)).unwrap_or_else(|error| panic!("{script}: {error}"))
}

/// The IDs (`data-check`) of the rows of `selector` that are shown.
fn shown_checks(tab: &Tab, selector: &str) -> Vec<String> {
    strings(
        tab,
        &format!(
            "Array.from(document.querySelectorAll('{selector}')).filter(r => !r.hidden)\
             .map(r => r.getAttribute('data-check'))"
        ),
    )
}

/// Clicks the status checkboxes (a real mouse click each) so that only `keep` stays ticked.
fn only_statuses(tab: &Tab, keep: &[&str]) {
    for status in strings(
        tab,
        "Array.from(document.querySelectorAll('#filters input[data-status]'))\
         .map(b => b.getAttribute('data-status'))",
    ) {
        let checked = eval(
            tab,
            &format!("document.querySelector('#filters input[data-status=\"{status}\"]').checked"),
        ) == Value::Bool(true);
        if checked != keep.contains(&status.as_str()) {
            tab.find_element(&format!("#filters input[data-status=\"{status}\"]"))
                .and_then(|element| element.click().map(|_| ()))
                .expect("click a status filter");
        }
    }
}

/// Chooses an option of a filter's `<select>` as a user would: the value changes and the page
/// hears `change`.
fn choose(tab: &Tab, select: &str, value: &str) {
    let value = serde_json::to_string(value).unwrap();
    eval(
        tab,
        &format!(
            "(() => {{ const s = document.getElementById('{select}'); s.value = {value}; \
             s.dispatchEvent(new Event('change')); return s.value; }})()"
        ),
    );
}

/// `target/html-artefacts/`: the pages and screenshots these tests leave for people to look at.
fn artefacts() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the test executable lives in target/<profile>/deps");
    let dir = target.join("html-artefacts");
    std::fs::create_dir_all(&dir).expect("the artefact directory");
    dir
}

fn screenshot(tab: &Tab, name: &str) {
    let png = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"));
    std::fs::write(artefacts().join(name), png).expect("write the screenshot");
}

fn ironprep(arguments: &[&str]) -> Output {
    Command::new(ironprep_e2e::ironprep())
        .args(arguments)
        .env("IRONPREP_AGENT", ironprep_e2e::binary("ironprep-agent"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run ironprep")
}

#[test]
fn this_machine_s_check_lists_its_failures_and_the_status_filter_hides_the_rest() {
    let Some(chromium) = chromium("this_machine_s_check") else {
        return;
    };
    let json = ironprep(&["check", "--format", "json"]);
    let report: FleetReport = serde_json::from_slice(&json.stdout).expect("a fleet report");
    let checks = &report.hosts[0].report.as_ref().expect("a report").checks;
    let page = artefacts().join("check-local.html");
    let html = ironprep(&[
        "check",
        "--format",
        "html",
        "--output",
        page.to_str().unwrap(),
    ]);
    assert_eq!(html.status.code(), json.status.code(), "{html:?}");

    let tab = chromium.open(&page);
    let hostname = &report.hosts[0].report.as_ref().unwrap().host.hostname;
    assert!(
        eval(&tab, "document.title")
            .as_str()
            .is_some_and(|title| title.ends_with(hostname.as_str())),
        "{hostname}"
    );
    let mut all = shown_checks(&tab, "#results-table tbody tr");
    all.sort();
    let mut expected: Vec<String> = checks.iter().map(|check| check.id.clone()).collect();
    expected.sort();
    assert_eq!(all, expected);

    only_statuses(&tab, &["fail"]);
    let mut failing = shown_checks(&tab, "#results-table tbody tr");
    failing.sort();
    let mut expected: Vec<String> = checks
        .iter()
        .filter(|check| check.status == Status::Fail)
        .map(|check| check.id.clone())
        .collect();
    expected.sort();
    assert_eq!(failing, expected);
    assert_eq!(
        eval(&tab, "document.getElementById('shown').textContent"),
        Value::String(format!("{} of {} shown", expected.len(), checks.len()))
    );
    screenshot(&tab, "check-local-failures.png");

    only_statuses(&tab, &[]);
    assert_eq!(
        shown_checks(&tab, "#results-table tbody tr"),
        Vec::<String>::new()
    );
    only_statuses(&tab, &["pass", "warn", "fail", "skip", "error"]);
    assert_eq!(
        shown_checks(&tab, "#results-table tbody tr").len(),
        checks.len()
    );
}

#[test]
fn lint_findings_show_their_source_lines_and_the_rule_filter_selects_one_rule() {
    let Some(chromium) = chromium("lint_findings") else {
        return;
    };
    let fixtures =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../controller/tests/lint-fixtures/rules");
    let fixtures = fixtures.to_str().unwrap();
    let json = ironprep(&["lint", fixtures, "--format", "json"]);
    let report: Value = serde_json::from_slice(&json.stdout).expect("a lint report");
    let findings = report["findings"].as_array().expect("findings").clone();
    assert!(!findings.is_empty(), "the fixtures have findings: {report}");
    let page = artefacts().join("lint.html");
    let html = ironprep(&[
        "lint",
        fixtures,
        "--format",
        "html",
        "--output",
        page.to_str().unwrap(),
    ]);
    assert_eq!(html.status.code(), json.status.code(), "{html:?}");

    let tab = chromium.open(&page);
    let rows = eval(
        &tab,
        "Array.from(document.querySelectorAll('#results-table tbody tr')).map(r => ({ \
           rule: r.getAttribute('data-check'), \
           where: (r.querySelector('code.location') || {}).textContent || '', \
           source: (r.querySelector('pre.source') || {}).textContent || null }))",
    );
    let rows = rows.as_array().expect("rows");
    for finding in &findings {
        let file = finding["file"].as_str().unwrap();
        let line = finding["line"].as_u64().unwrap();
        let place = format!("{file}:{line}:{}", finding["column"]);
        let row = rows
            .iter()
            .find(|row| row["rule"] == finding["rule"] && row["where"] == place.as_str())
            .unwrap_or_else(|| panic!("no row for {finding}"));
        if line > 0 {
            let text = std::fs::read_to_string(file).unwrap();
            let source = text.lines().nth(line as usize - 1).unwrap();
            // The line itself, or nothing when it may hold a secret.
            if let Some(shown) = row["source"].as_str() {
                assert_eq!(shown, source, "{finding}");
            }
        }
    }

    assert!(
        rows.iter().any(|row| row["source"].is_string()),
        "no source line shown"
    );

    let rule = findings[0]["rule"].as_str().unwrap();
    choose(&tab, "filter-check", rule);
    let shown = shown_checks(&tab, "#results-table tbody tr");
    let expected = findings.iter().filter(|f| f["rule"] == rule).count();
    assert_eq!(shown.len(), expected, "{shown:?}");
    assert!(shown.iter().all(|id| id == rule));
    screenshot(&tab, "lint-one-rule.png");
}

fn hostile_fleet() -> View {
    let mut view = View::empty(ViewKind::Fleet);
    view.headline
        .push("fleet: <img src=x onerror=\"window.pwned='headline'\">".to_owned());
    let item = |id: &str, status: Status, observed: &str| Item {
        id: id.to_owned(),
        title: format!("{id} <u>title</u>"),
        status,
        observed: observed.to_owned(),
        expected: "no <script> anywhere".to_owned(),
        fix: "`echo '<svg onload=window.pwned=1>'`".to_owned(),
        ..Item::default()
    };
    let host = |name: &str, role: &str, items: Vec<Item>| Subject {
        name: name.to_owned(),
        address: Some("192.0.2.1".to_owned()),
        roles: vec![role.to_owned()],
        outcome: Some(HostOutcome::Reported),
        items,
        ..Subject::default()
    };
    view.subjects = vec![
        host(
            "<img src=x onerror=\"window.pwned='host'\">",
            "control-plane",
            vec![
                item(
                    "kernel.<b>ipvs</b>",
                    Status::Fail,
                    "</script><script>window.pwned='observed'</script>",
                ),
                item("net.hostname", Status::Pass, "ok"),
            ],
        ),
        host(
            "worker-1",
            "worker\" onmouseover=\"window.pwned='role'",
            vec![
                item("kernel.<b>ipvs</b>", Status::Pass, "loaded"),
                item("net.hostname", Status::Warn, "{{7*7}} ${7*7}"),
            ],
        ),
        Subject {
            name: "down-1".to_owned(),
            outcome: Some(HostOutcome::Unreachable),
            error: Some("no route to <iframe src=//example.invalid>".to_owned()),
            ..Subject::default()
        },
    ];
    view.subjects.push(Subject {
        name: "lint".to_owned(),
        outcome: Some(HostOutcome::Reported),
        items: vec![Item {
            location: Some(Location {
                file: "a<b>.yaml".to_owned(),
                line: 1,
                column: 1,
                excerpt: Some(Excerpt::Source(
                    "<script>window.pwned='source'</script>".to_owned(),
                )),
                ..Location::default()
            }),
            ..item("lint.rule", Status::Skip, "x")
        }],
        ..Subject::default()
    });
    view.summary = "summary: <marquee>bad</marquee>".to_owned();
    view
}

#[test]
fn hostile_names_ids_and_values_stay_text_and_the_matrix_filters_and_opens_cells() {
    let Some(chromium) = chromium("hostile_names") else {
        return;
    };
    let page = artefacts().join("hostile-fleet.html");
    std::fs::write(
        &page,
        ironprep_report::sinks::html::render(&hostile_fleet()),
    )
    .unwrap();
    let tab = chromium.open(&page);

    // Nothing ran, nothing became an element.
    assert_eq!(eval(&tab, "typeof window.pwned"), "undefined");
    assert_eq!(
        eval(
            &tab,
            "document.querySelectorAll('img, iframe, svg, marquee, u, #matrix b, #problems code b').length"
        ),
        0
    );
    assert_eq!(eval(&tab, "document.scripts.length"), 2);
    let hosts = strings(
        &tab,
        "Array.from(document.querySelectorAll('#matrix tbody tr')).map(r => r.getAttribute('data-host'))",
    );
    // Unreached first, then the failing host, then the warning one, then the rest.
    assert_eq!(
        hosts,
        [
            "down-1",
            "<img src=x onerror=\"window.pwned='host'\">",
            "worker-1",
            "lint"
        ]
    );
    let columns = strings(
        &tab,
        "Array.from(document.querySelectorAll('#matrix thead th[data-check]')).map(c => c.textContent)",
    );
    assert_eq!(columns, ["kernel.<b>ipvs</b>", "net.hostname", "lint.rule"]);

    // A click on the failing cell opens what was observed, expected, and the fix, as text.
    tab.find_element("#matrix tbody tr:nth-child(2) td.st-fail")
        .and_then(|cell| cell.click().map(|_| ()))
        .expect("click the failing cell");
    let panel = eval(
        &tab,
        "(() => { const p = document.getElementById('detail'); return { hidden: p.hidden, \
           heading: p.querySelector('h3').textContent, \
           values: Array.from(p.querySelectorAll('dd')).map(d => d.textContent) }; })()",
    );
    assert_eq!(panel["hidden"], false);
    assert_eq!(
        panel["heading"],
        "<img src=x onerror=\"window.pwned='host'\"> · kernel.<b>ipvs</b>"
    );
    assert_eq!(
        panel["values"],
        serde_json::json!([
            "</script><script>window.pwned='observed'</script>",
            "no <script> anywhere",
            "`echo '<svg onload=window.pwned=1>'`"
        ])
    );
    screenshot(&tab, "hostile-fleet-detail.png");

    let shown_hosts = |tab: &Tab| {
        strings(
            tab,
            "Array.from(document.querySelectorAll('#matrix tbody tr')).filter(r => !r.hidden)\
             .map(r => r.getAttribute('data-host'))",
        )
    };
    // Status: only warnings → the one host with a warning.
    only_statuses(&tab, &["warn"]);
    assert_eq!(shown_hosts(&tab), ["worker-1"]);
    // Role: control planes with anything failing or passing.
    only_statuses(&tab, &["fail", "pass"]);
    choose(&tab, "filter-role", "control-plane");
    assert_eq!(
        shown_hosts(&tab),
        ["<img src=x onerror=\"window.pwned='host'\">"]
    );
    // Check: one column left; the hosts where it passes or fails.
    choose(&tab, "filter-role", "");
    choose(&tab, "filter-check", "kernel.<b>ipvs</b>");
    assert_eq!(
        shown_hosts(&tab),
        ["<img src=x onerror=\"window.pwned='host'\">", "worker-1"]
    );
    assert_eq!(
        eval(
            &tab,
            "Array.from(document.querySelectorAll('#matrix thead th[data-check]'))\
             .filter(c => !c.hidden).length"
        ),
        1
    );
    assert_eq!(eval(&tab, "typeof window.pwned"), "undefined");
}

#[test]
fn a_simulated_fleet_is_a_matrix_with_failing_hosts_first() {
    if !can_run("html_fleet") {
        return;
    }
    let Some(chromium) = chromium("html_fleet") else {
        return;
    };
    let fleet = Fleet::up(
        "html",
        &[
            "good",
            "bad:hostname=Bad_Host,noexec,port=6443",
            "down:down",
        ],
    );
    let run = |format: &str, file: &str| {
        fleet.ironprep(&[
            "--inventory",
            "inventory.yaml",
            "--only",
            PASSABLE,
            "--timeout",
            "20",
            "--format",
            format,
            "--output",
            file,
        ])
    };
    let json = run("json", "report.json");
    let html = run("html", "report.html");
    assert_eq!(html.status.code(), Some(1), "{html:?}");
    assert_eq!(json.status.code(), Some(1), "{json:?}");
    let report = read_report(&fleet, "report.json");
    let page = artefacts().join("fleet.html");
    std::fs::copy(fleet.path("report.html"), &page).unwrap();

    let tab = chromium.open(&page);
    let hosts = strings(
        &tab,
        "Array.from(document.querySelectorAll('#matrix tbody tr')).map(r => r.getAttribute('data-host'))",
    );
    assert_eq!(hosts, ["down", "bad", "good"]);
    let failing = strings(
        &tab,
        "Array.from(document.querySelectorAll('#matrix tbody tr[data-host=bad] td.st-fail'))\
         .map(c => document.querySelectorAll('#matrix thead th')[c.cellIndex].getAttribute('data-check'))",
    );
    let expected: Vec<String> = report
        .hosts
        .iter()
        .find(|host| host.host == "bad")
        .and_then(|host| host.report.as_ref())
        .expect("bad reported")
        .checks
        .iter()
        .filter(|check| check.status == Status::Fail)
        .map(|check| check.id.clone())
        .collect();
    let mut sorted_failing = failing.clone();
    sorted_failing.sort();
    let mut sorted_expected = expected.clone();
    sorted_expected.sort();
    assert_eq!(sorted_failing, sorted_expected);
    assert!(
        eval(
            &tab,
            "document.querySelector('#matrix tr[data-host=down] td').textContent"
        )
        .as_str()
        .is_some_and(|text| text.starts_with("unreachable"))
    );
    assert_eq!(
        eval(&tab, "document.querySelector('#host-counts').textContent"),
        "3hosts2reported1not reached1with failed checks"
    );
    only_statuses(&tab, &["fail"]);
    screenshot(&tab, "fleet-failures.png");
    assert_eq!(
        strings(
            &tab,
            "Array.from(document.querySelectorAll('#matrix tbody tr')).filter(r => !r.hidden)\
             .map(r => r.getAttribute('data-host'))"
        ),
        ["bad"]
    );
}

#[test]
fn bmc_check_is_a_matrix_of_bmcs_with_the_tpm_failure_shown() {
    if !redfish::sushy_available("html_bmc") {
        return;
    }
    let Some(chromium) = chromium("html_bmc") else {
        return;
    };
    // Two BMCs of the project's mockups: a lab server and one with a TPM 1.2.
    let lab = redfish::compose(None);
    let tpm12 = redfish::compose(Some("tpm12-legacy"));
    let lab_server = redfish::serve_static(lab.path());
    let tpm12_server = redfish::serve_static(tpm12.path());
    let directory = tempfile::tempdir().unwrap();
    let inventory = directory.path().join("hosts.ini");
    std::fs::write(
        &inventory,
        format!(
            "[kube_control_plane]\nlab bmc={}\nold bmc={}\n",
            lab_server.url(),
            tpm12_server.url()
        ),
    )
    .unwrap();
    let pins = directory.path().join("bmc_known_hosts");
    let run = |format: &str, out: &Path| {
        redfish::ironprep(&[
            "bmc",
            "check",
            "-i",
            inventory.to_str().unwrap(),
            "--bmc-user",
            redfish::USER,
            "--bmc-known-hosts",
            pins.to_str().unwrap(),
            "--bmc-host-key-policy",
            "accept-new",
            "--format",
            format,
            "--output",
            out.to_str().unwrap(),
        ])
    };
    let json_file = directory.path().join("bmc.json");
    let json = run("json", &json_file);
    let page = artefacts().join("bmc-check.html");
    let html = run("html", &page);
    assert_eq!(html.status.code(), json.status.code(), "{html:?}");
    assert_eq!(json.status.code(), Some(1), "{json:?}");
    let report: FleetReport =
        serde_json::from_slice(&std::fs::read(&json_file).unwrap()).expect("a fleet report");
    let html_text = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html_text.contains(redfish::PASSWORD),
        "the BMC password is in the page"
    );

    let tab = chromium.open(&page);
    assert_eq!(
        eval(&tab, "document.title").as_str(),
        Some("ironprep BMC check")
    );
    let hosts = strings(
        &tab,
        "Array.from(document.querySelectorAll('#matrix tbody tr')).map(r => r.getAttribute('data-host'))",
    );
    // The BMC with failures first.
    assert_eq!(hosts, ["old", "lab"]);
    let failing = |host: &str| {
        let mut ids = strings(
            &tab,
            &format!(
                "Array.from(document.querySelectorAll('#matrix tbody tr[data-host={host}] td.st-fail'))\
                 .map(c => document.querySelectorAll('#matrix thead th')[c.cellIndex].getAttribute('data-check'))"
            ),
        );
        ids.sort();
        ids
    };
    let expected = |host: &str| {
        let mut ids: Vec<String> = report
            .hosts
            .iter()
            .find(|entry| entry.host == host)
            .and_then(|entry| entry.report.as_ref())
            .expect("reported")
            .checks
            .iter()
            .filter(|check| check.status == Status::Fail)
            .map(|check| check.id.clone())
            .collect();
        ids.sort();
        ids
    };
    assert!(
        failing("old").contains(&"hw.tpm".to_owned()),
        "{:?}",
        failing("old")
    );
    assert_eq!(failing("old"), expected("old"));
    assert_eq!(failing("lab"), expected("lab"));
    only_statuses(&tab, &["fail"]);
    screenshot(&tab, "bmc-check-failures.png");
    assert_eq!(
        strings(
            &tab,
            "Array.from(document.querySelectorAll('#matrix tbody tr')).filter(r => !r.hidden)\
             .map(r => r.getAttribute('data-host'))"
        ),
        expected("lab")
            .is_empty()
            .then_some(vec!["old".to_owned()])
            .unwrap_or_else(|| vec!["old".to_owned(), "lab".to_owned()])
    );
}

#[test]
fn probe_results_list_the_failing_endpoint_with_what_was_tried() {
    let Some(chromium) = chromium("html_probe") else {
        return;
    };
    // A port on loopback that nothing listens on: the connection is refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap();
    let directory = tempfile::tempdir().unwrap();
    let json_file = directory.path().join("probe.json");
    let page = artefacts().join("probe.html");
    let domain = format!("127.0.0.1:{port}");
    let run = |format: &str, out: &Path| {
        ironprep(&[
            "probe",
            "--platform-domain",
            &domain,
            "--system-roots",
            "--format",
            format,
            "--output",
            out.to_str().unwrap(),
        ])
    };
    assert_eq!(run("json", &json_file).status.code(), Some(1));
    assert_eq!(run("html", &page).status.code(), Some(1));
    let report: Value = serde_json::from_slice(&std::fs::read(&json_file).unwrap()).unwrap();
    let endpoints = report["endpoints"].as_array().expect("endpoints");

    let tab = chromium.open(&page);
    let mut shown = shown_checks(&tab, "#results-table tbody tr");
    shown.sort();
    let mut expected: Vec<String> = endpoints
        .iter()
        .map(|endpoint| endpoint["id"].as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    assert_eq!(shown, expected);
    only_statuses(&tab, &["fail"]);
    assert_eq!(
        shown_checks(&tab, "#results-table tbody tr"),
        ["endpoint.platform-domain"]
    );
    let row = eval(
        &tab,
        "document.querySelector('#results-table tbody tr[data-check=\"endpoint.platform-domain\"]').textContent",
    );
    assert!(
        row.as_str().is_some_and(|text| text.contains(&domain)),
        "{row}"
    );
    screenshot(&tab, "probe-failures.png");
}
