//! An ssh config is the user's, or one handed around a team: any text gives a config or an
//! error naming file and line, and looking hosts up in it (patterns, `%h`, `Match host`) never
//! panics or backtracks without bound. `Include` names no file that exists here: the config is
//! parsed as if it lived in a directory that does not exist.
#![no_main]

use std::path::Path;

use ironprep::fleet::ssh_config::{self, SshConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let file = Path::new("/nonexistent/ironprep-fuzz/config");
    if let Ok(config) = SshConfig::parse(file, &text) {
        for host in ["node-1", "10.0.0.5", "bastion.example.com", "[fd00::1]"] {
            let found = config.lookup(host);
            if let Some((Some(hops), _)) = found.proxy_jump {
                for hop in hops {
                    let _ = ssh_config::parse_hop(&hop);
                }
            }
        }
    }
    // The same words as Ansible's ansible_ssh_common_args, where -J and -o ProxyJump count.
    let _ = ssh_config::jump_from_ssh_args(&text);
});
