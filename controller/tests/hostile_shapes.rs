//! Adversarial sizes and shapes for every parser of untrusted bytes, through the entry points
//! controller/fuzz fuzzes: nesting far deeper than any real file, counts far larger, lines
//! megabytes long. The fuzz targets explore small inputs; these are the large ones libFuzzer's
//! length limit never reaches. Each must give a value or an error — never a panic, a stack
//! overflow, a hang or memory out of proportion to the input.

use std::path::{Path, PathBuf};
use std::process::Command;

use ironprep::bmc::client;
use ironprep::bmc::resources::{Collection, ComputerSystem};
use ironprep::fleet::known_hosts::KnownHosts;
use ironprep::fleet::ssh::{CommandOutput, Exit};
use ironprep::fleet::ssh_config::SshConfig;
use ironprep::fleet::{inventory, remote};
use ironprep_report::sinks::{self, Context, Document};
use ironprep_report::{Format, View};
use ironprep_schema::{FleetReport, HostEntry, HostOutcome};

const MIB: usize = 1024 * 1024;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `depth` opening brackets, then as many closing ones.
fn nested(open: &str, close: &str, depth: usize) -> String {
    format!("{}{}", open.repeat(depth), close.repeat(depth))
}

#[test]
fn inventory_nesting_counts_and_long_lines() {
    // 100,000 levels of flow mappings and sequences: an error, not a stack overflow.
    for text in [
        format!("all: {}", nested("{a: ", "}", 100_000)),
        format!("all: {}", nested("[", "]", 100_000)),
    ] {
        assert!(inventory::parse("hosts.yaml", &text).is_err());
    }
    // 100,000 groups of one host each, every group a child of the next: 5 billion
    // (group, ancestor) pairs, refused once past the cap instead of resolved.
    let mut text = String::new();
    for index in 0..100_000 {
        text.push_str(&format!(
            "[g{index}]\nnode{index}\n[g{}:children]\ng{index}\n",
            index + 1
        ));
    }
    let error = inventory::parse("hosts", &text).unwrap_err();
    assert!(
        error.message.contains("nest too deeply"),
        "{}",
        error.message
    );
    // One host name of 4 MiB, and a line of 4 MiB of variables.
    let long = format!(
        "[all]\n{} ansible_user=ops\nn1 {}\n",
        "h".repeat(4 * MIB),
        "a=b ".repeat(MIB)
    );
    let _ = inventory::parse("hosts", &long);
}

#[test]
fn known_hosts_many_lines_and_long_patterns() {
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDB0i1L2UsHbwDpKThz9kUxme/hZ+mpqt7vNqCEPPPjr";
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("known_hosts");
    let mut text = String::new();
    for index in 0..200_000 {
        text.push_str(&format!(
            "node-{index},10.{}.{}.{} {key}\n",
            index >> 16,
            (index >> 8) & 255,
            index & 255
        ));
    }
    // One line of 100,000 patterns, and one pattern of 1 MiB of stars and letters.
    text.push_str(&format!("{} {key}\n", vec!["*x*"; 100_000].join(",")));
    text.push_str(&format!("{}b {key}\n", "*a".repeat(MIB / 2)));
    std::fs::write(&file, &text).unwrap();
    let known = KnownHosts::load(std::slice::from_ref(&file)).unwrap();
    // The longest name a host is looked up under: a DNS name with a port.
    let names = [
        "node-199999".to_owned(),
        format!("[{}]:2222", "a".repeat(253)),
    ];
    assert!(known.algorithms(&names).is_some());
}

#[test]
fn ssh_config_many_blocks_long_values_and_quotes() {
    let mut text = String::new();
    for index in 0..50_000 {
        text.push_str(&format!(
            "Host node-{index} *-{index}-* !never\n  Port {}\n",
            index % 60_000 + 1
        ));
        text.push_str(&format!("Match host *.{index}.example\n  User u{index}\n"));
    }
    text.push_str(&format!("Host *\n  HostName {}\n", "x".repeat(MIB)));
    let config = SshConfig::parse(Path::new("/cfg/config"), &text).unwrap();
    assert_eq!(config.lookup("node-49999").port, Some(50_000));
    assert!(
        config
            .lookup("other")
            .host_name
            .is_some_and(|name| name.len() == MIB)
    );

    // A 1 MiB argument inside quotes, and a quote that never closes.
    let quoted = format!("Host a\n  User \"{}\"\n", "q ".repeat(MIB / 2));
    assert!(SshConfig::parse(Path::new("/cfg/config"), &quoted).is_ok());
    let error = SshConfig::parse(
        Path::new("/cfg/config"),
        &format!("User \"{}", "u".repeat(MIB)),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.starts_with("/cfg/config:1: ") && error.contains("quote"),
        "{}",
        &error[..80]
    );
}

#[test]
fn pem_large_bundles_and_deep_asn1() {
    let ca = std::fs::read_to_string(repository().join("certs/tests/pki/ca.crt")).unwrap();
    let bundle = ca.repeat(2_000);
    let facts =
        ironprep_certs::material::certificates(Path::new("bundle.pem"), bundle.as_bytes()).unwrap();
    assert_eq!(facts.len(), 2_000);

    // DER nested 10,000 SEQUENCEs deep (long-form lengths), and 8 MiB of base64 in one block.
    let mut der = vec![0x05, 0x00];
    for _ in 0..10_000 {
        let length = der.len() as u32;
        let mut outer = vec![0x30, 0x84];
        outer.extend_from_slice(&length.to_be_bytes());
        outer.extend_from_slice(&der);
        der = outer;
    }
    for body in [base64(&der), "QUFB".repeat(2 * MIB)] {
        let pem = format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n");
        let error = ironprep_certs::material::certificates(Path::new("deep.pem"), pem.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(error.contains("deep.pem"), "{error}");
        let key = pem.replace("CERTIFICATE", "PRIVATE KEY");
        assert!(
            ironprep_certs::material::private_key(Path::new("deep.key"), key.as_bytes()).is_err()
        );
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let word = chunk.iter().enumerate().fold(0_u32, |word, (index, byte)| {
            word | u32::from(*byte) << (16 - 8 * index)
        });
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(ALPHABET[(word >> (18 - 6 * index) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The agent's report for the ubuntu-22.04 fixture, as the agent prints it.
fn agent_report() -> serde_json::Value {
    let snapshot = std::fs::read_to_string(
        repository().join("agent/tests/snapshots/fixtures__ubuntu-22.04.json.snap"),
    )
    .unwrap();
    let json = snapshot.splitn(3, "---\n").nth(2).unwrap();
    let json = json
        .replace("\"[duration]\"", "1234")
        .replace("\"[rss]\"", "2048");
    serde_json::from_str(&json).unwrap()
}

fn classify(stdout: Vec<u8>) -> remote::Classified {
    let output = CommandOutput {
        stdout,
        stderr: Vec::new(),
        exit: Exit::Status(0),
        stdin_done: None,
    };
    remote::classify(&output, "root")
}

#[test]
fn agent_report_nesting_and_huge_fields_render_in_every_format() {
    // Nesting where a check's `observed` text belongs: an invalid report, not a stack overflow.
    let mut report = agent_report();
    let deep = nested("[", "]", 100_000);
    let text = serde_json::to_string(&report).unwrap().replacen(
        "\"observed\":",
        &format!("\"observed\":{deep},\"x\":"),
        1,
    );
    let classified = classify(text.into_bytes());
    assert_eq!(classified.outcome, HostOutcome::InvalidReport);
    assert!(classified.error.unwrap().len() < 1024);

    // A 4 MiB word, 100,000 lines and control characters in the texts people read.
    let check = &mut report["checks"][0];
    check["observed"] = "w".repeat(4 * MIB).into();
    check["expected"] = "line\n".repeat(100_000).into();
    check["hint"] = "\u{1b}[2J\r\u{7}".repeat(10_000).into();
    let classified = classify(serde_json::to_vec(&report).unwrap());
    assert_eq!(classified.outcome, HostOutcome::Reported);
    let fleet = FleetReport::new(
        vec![HostEntry {
            host: "node-1".to_owned(),
            address: "10.0.0.5:22".to_owned(),
            outcome: classified.outcome,
            error: None,
            report: classified.report,
        }],
        Vec::new(),
    );
    let view = View::of_fleet(&fleet);
    let json = serde_json::to_string_pretty(&fleet).unwrap();
    let document = Document {
        view: &view,
        json: &json,
    };
    for format in Format::ALL {
        let sink = sinks::for_format(format, Context::default()).unwrap();
        let mut out = Vec::new();
        sink.write(&document, &mut out).unwrap();
        // In proportion to the report (the table shows less of it), and no escape gets out.
        assert!(
            !out.is_empty() && out.len() < 64 * MIB,
            "{format:?}: {} bytes",
            out.len()
        );
        assert!(!out.contains(&0x1b), "{format:?} passed an escape through");
    }
}

#[test]
fn redfish_nesting_and_member_counts() {
    let deep = format!("{{\"Model\": {}}}", nested("[", "]", 100_000));
    let error = client::parse::<ComputerSystem>("/redfish/v1/Systems/1", deep.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("/redfish/v1/Systems/1") && error.contains("malformed JSON"),
        "{error}"
    );

    // An answer at the client's size cap, all of it collection members.
    let member = "{\"@odata.id\":\"/redfish/v1/Systems/1\"},";
    let count = client::MAX_BODY / member.len() - 1;
    let body = format!("{{\"Members\":[{}{{}}]}}", member.repeat(count));
    let collection: Collection = client::parse("/redfish/v1/Systems", body.as_bytes()).unwrap();
    assert_eq!(collection.members.len(), count);
}

fn xorriso(args: &[&str]) {
    let status = Command::new("xorriso")
        .args(args)
        .status()
        .expect("xorriso (scripts/install-deps.sh installs it)");
    assert!(status.success());
}

#[test]
fn iso_images_cut_short_sparse_and_with_many_entries() {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path().join("root");
    std::fs::create_dir(&root).unwrap();
    std::fs::copy(
        repository().join("controller/fuzz/seeds/iso_image/livecd-cloud-config.yaml"),
        root.join("livecd-cloud-config.yaml"),
    )
    .unwrap();
    // More root entries than the reader looks at, sorted before the config.
    for index in 0..10_001 {
        std::fs::write(root.join(format!("a{index:05}")), b"").unwrap();
    }
    let image = directory.path().join("many.iso");
    let (root_text, image_text) = (root.to_str().unwrap(), image.to_str().unwrap());
    xorriso(&[
        "-as", "mkisofs", "-quiet", "-J", "-R", "-o", image_text, root_text,
    ]);
    let error = format!(
        "{:#}",
        ironprep::iso::read_image_config(&image).unwrap_err()
    );
    assert!(error.contains("more than 10000 entries"), "{error}");

    // The same image cut after its volume descriptors, and 64 GiB of nothing (sparse).
    let bytes = std::fs::read(&image).unwrap();
    let cut = directory.path().join("cut.iso");
    std::fs::write(&cut, &bytes[..40 * 1024]).unwrap();
    assert!(ironprep::iso::read_image_config(&cut).is_err());
    let sparse = directory.path().join("sparse.iso");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(64 << 30)
        .unwrap();
    let error = format!(
        "{:#}",
        ironprep::iso::read_image_config(&sparse).unwrap_err()
    );
    assert!(error.contains("CD001"), "{error}");
}
