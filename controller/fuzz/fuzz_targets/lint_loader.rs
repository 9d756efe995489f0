//! Feeds arbitrary bytes through the whole lint path (decode, YAML events, tree, rules): it
//! must never panic, hang or exhaust memory, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ironprep::lint::lint_bytes("fuzz.yaml", data);
});
