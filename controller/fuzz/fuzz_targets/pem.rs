//! PEM files given as CA, certificate or key (and a BMC's DER certificate): any bytes give
//! facts or an error.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ironprep_certs::material::certificates(Path::new("fuzz.pem"), data);
    let _ = ironprep_certs::material::private_key(Path::new("fuzz.key"), data);
    let _ = ironprep::bmc::known_hosts::spki_fingerprint(data);
});
