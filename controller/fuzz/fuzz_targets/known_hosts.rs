//! A known_hosts file may come from anywhere (a colleague, a generated file), and so may the
//! BMC pin file: loading either and matching names against its patterns must stay linear and
//! never panic.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use ironprep::bmc::known_hosts::{HostKeyPolicy, KnownHosts as BmcPins};
use ironprep::fleet::known_hosts::KnownHosts;
use libfuzzer_sys::fuzz_target;

/// One scratch file for the whole run: the loaders read paths, as the controller does.
fn scratch() -> Option<&'static PathBuf> {
    static SCRATCH: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
    SCRATCH
        .get_or_init(|| {
            let dir = tempfile::tempdir().ok()?;
            let path = dir.path().join("known_hosts");
            Some((dir, path))
        })
        .as_ref()
        .map(|(_, path)| path)
}

fuzz_target!(|data: &[u8]| {
    let Some(path) = scratch() else { return };
    if std::fs::write(path, data).is_err() {
        return;
    }
    if let Ok(known) = KnownHosts::load(std::slice::from_ref(path)) {
        let names = ["node-1".to_owned(), "[10.0.0.5]:2222".to_owned()];
        let _ = known.algorithms(&names);
    }
    if let Ok(pins) = BmcPins::load(path, HostKeyPolicy::Strict) {
        let _ = pins.verify("10.0.0.5:443", "sha256:00");
    }
});
