//! A BMC answers with any bytes it likes: every Redfish resource the controller reads is decoded
//! by the controller's own `client::parse` (lenient properties, the error that quotes the start
//! of a non-JSON answer) and must give a value or an error, never a panic.
#![no_main]

use ironprep::bmc::client;
use ironprep::bmc::resources::{
    Bios, Collection, ComputerSystem, Drive, ErrorBody, EthernetInterface, Manager, Processor,
    SecureBoot, ServiceRoot, Storage, Task, VirtualMedia,
};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;

/// Decodes as `T`, and formats the error as the command would print it.
fn decode<T: DeserializeOwned>(data: &[u8]) -> Option<T> {
    match client::parse::<T>("/redfish/v1/Systems/1", data) {
        Ok(value) => Some(value),
        Err(error) => {
            let _ = error.to_string();
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Some(root) = decode::<ServiceRoot>(data) {
        let _ = root.is_redfish();
    }
    let _ = decode::<Collection>(data);
    let _ = decode::<ComputerSystem>(data);
    let _ = decode::<Processor>(data);
    let _ = decode::<EthernetInterface>(data);
    let _ = decode::<Storage>(data);
    let _ = decode::<Drive>(data);
    let _ = decode::<SecureBoot>(data);
    let _ = decode::<Bios>(data);
    let _ = decode::<Manager>(data);
    let _ = decode::<VirtualMedia>(data);
    let _ = decode::<Task>(data);
    if let Some(ErrorBody {
        error: Some(detail),
    }) = decode::<ErrorBody>(data)
    {
        let _ = detail.text();
    }
});
