//! An inventory is written by people and tools: any bytes, read as the controller reads them
//! (content-sniffed, and as YAML by name), give an inventory or an error — never a panic, a hang
//! or a memory blow-up (`:children` cycles, multiplying ranges).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = ironprep::fleet::inventory::parse("hosts", &text);
    let _ = ironprep::fleet::inventory::parse("hosts.yaml", &text);
});
