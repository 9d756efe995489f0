//! A platform ingress for end-to-end tests: an HTTPS server with a chain from the certs crate's
//! dex-tls generation, answering 401 on `/kubernetes/global/version` (the platform), 200 on
//! `/v2/` (a registry) and 404 elsewhere, until the test process ends.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;

use ironprep_certs::generate::{DexTlsRequest, KeyType};

/// A running ingress and the CA that signed its chain, written to `ca_file`.
pub struct Ingress {
    pub address: SocketAddr,
    pub ca_file: PathBuf,
}

/// Serves on every port of `ports` on `ip` (port 0: any free one; the address of the first is
/// returned) with a chain for `ip` from a fresh dex-tls CA written to `directory/ca.crt`.
pub fn serve(ip: IpAddr, ports: &[u16], directory: &Path) -> Ingress {
    serve_with(ip, ports, directory, KeyType::EcdsaP256)
}

/// [`serve`] with a chain of keys of `key_type`.
pub fn serve_with(ip: IpAddr, ports: &[u16], directory: &Path, key_type: KeyType) -> Ingress {
    let bundle = DexTlsRequest {
        host_ip: ip,
        extra_ips: Vec::new(),
        extra_dns: Vec::new(),
        days: 30,
        key_type,
    }
    .generate(None)
    .expect("dex-tls generation");
    let ca_file = directory.join("ca.crt");
    std::fs::write(&ca_file, &bundle.ca_pem).unwrap();
    let config =
        ironprep_e2e::tls_server_config(&bundle.leaf.certificate_pem, &bundle.leaf.key_pem);
    let mut first = None;
    for port in ports {
        let listener = TcpListener::bind((ip, *port))
            .unwrap_or_else(|error| panic!("cannot listen on {ip}:{port}: {error}"));
        first.get_or_insert(listener.local_addr().unwrap());
        let config = config.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let config = config.clone();
                thread::spawn(move || answer(config, stream));
            }
        });
    }
    Ingress {
        address: first.expect("at least one port"),
        ca_file,
    }
}

fn answer(config: Arc<rustls::ServerConfig>, stream: TcpStream) {
    let Ok(connection) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(connection, stream);
    let mut head = Vec::new();
    let mut buffer = [0_u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        match tls.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(read) => head.extend_from_slice(&buffer[..read]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let status = match head.split(' ').nth(1).unwrap_or_default() {
        "/kubernetes/global/version" => "401 Unauthorized",
        "/v2/" => "200 OK",
        _ => "404 Not Found",
    };
    let _ = write!(
        tls,
        "HTTP/1.1 {status}\r\nServer: test-ingress\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    tls.conn.send_close_notify();
    let _ = tls.flush();
}
