//! The README's check table is generated from the registry (`scripts/readme-checks.py`); this
//! keeps the two from drifting apart.

use std::process::Command;

#[test]
fn the_readme_lists_every_check_in_registry_order() {
    let output = Command::new(env!("CARGO_BIN_EXE_ironprep-agent"))
        .args(["--list", "--format", "json"])
        .output()
        .unwrap();
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let listed = document["checks"].as_array().unwrap();
    let registry: Vec<String> = listed
        .iter()
        .map(|check| check["id"].as_str().unwrap().to_owned())
        .collect();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let table = readme
        .split("<!-- checks:begin -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- checks:end -->").next())
        .expect("README.md has the checks markers");
    let documented: Vec<String> = table
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|line| line.split('`').next())
        .map(str::to_owned)
        .collect();
    assert_eq!(
        documented, registry,
        "run scripts/readme-checks.py to regenerate the table"
    );
    for check in listed {
        let row = table
            .lines()
            .find(|line| line.starts_with(&format!("| `{}`", check["id"].as_str().unwrap())))
            .unwrap();
        assert!(
            row.contains(check["title"].as_str().unwrap()),
            "stale title in {row}"
        );
    }
}
