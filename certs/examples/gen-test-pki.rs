//! Regenerates the committed test PKI in `certs/tests/pki/` (see the README there):
//!
//!     cargo run -p ironprep-certs --example gen-test-pki
//!
//! Long validity (50 years) so that CI never sees it expire; the expired and not-yet-valid
//! certificates are made at test time instead, signed by this CA.

use std::fs;
use std::net::IpAddr;
use std::path::Path;

use ironprep_certs::generate::{Authority, Issued, KeyType, ServerRequest};
use time::{Duration, OffsetDateTime};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pki");
    fs::create_dir_all(&directory)?;
    let now = OffsetDateTime::now_utc().replace_nanosecond(0)?;
    let not_before = now - Duration::days(1);
    let not_after = now + Duration::days(365 * 50);
    let loopback: IpAddr = "127.0.0.1".parse()?;

    let ca = Authority::generate("ironprep test CA", KeyType::Rsa2048, not_before, not_after)?;
    let other_ca =
        Authority::generate("ironprep other CA", KeyType::Rsa2048, not_before, not_after)?;
    let write = |name: &str, text: &str| fs::write(directory.join(name), text);
    write("ca.crt", &ca.certificate_pem)?;
    write("ca.key", &ca.key_pem())?;
    write("other-ca.crt", &other_ca.certificate_pem)?;
    write("other-ca.key", &other_ca.key_pem())?;

    let request =
        |common_name: Option<&str>, ips: Vec<IpAddr>, dns: &[&str], key_type| ServerRequest {
            common_name: common_name.map(str::to_owned),
            ips,
            dns_names: dns.iter().map(|name| (*name).to_owned()).collect(),
            key_type,
            server_auth: true,
            not_before,
            not_after: not_after - Duration::days(1),
        };
    let leaves: [(&str, &Authority, ServerRequest); 5] = [
        // The good one: what `certs dex-tls --host-ip 127.0.0.1` makes.
        (
            "server",
            &ca,
            request(
                Some("127.0.0.1"),
                vec![loopback],
                &["localhost"],
                KeyType::Rsa2048,
            ),
        ),
        (
            "ecdsa-server",
            &ca,
            request(
                Some("127.0.0.1"),
                vec![loopback],
                &["localhost"],
                KeyType::EcdsaP256,
            ),
        ),
        // Signed by a CA the clients do not trust.
        (
            "other-ca-server",
            &other_ca,
            request(
                Some("127.0.0.1"),
                vec![loopback],
                &["localhost"],
                KeyType::Rsa2048,
            ),
        ),
        // A DNS name but no IP SAN: Go and rustls refuse it for https://127.0.0.1.
        (
            "no-ip-san",
            &ca,
            request(
                Some("127.0.0.1"),
                Vec::new(),
                &["localhost"],
                KeyType::Rsa2048,
            ),
        ),
        // The IP only in the CN, no SAN at all.
        (
            "cn-only",
            &ca,
            request(Some("127.0.0.1"), Vec::new(), &[], KeyType::Rsa2048),
        ),
    ];
    for (name, authority, request) in leaves {
        let Issued {
            certificate_pem,
            key_pem,
            ..
        } = authority.issue(&request)?;
        write(&format!("{name}.crt"), &certificate_pem)?;
        write(&format!("{name}.key"), &key_pem)?;
    }
    println!("wrote the test PKI to {}", directory.display());
    Ok(())
}
