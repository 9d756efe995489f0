//! `ironprep-agent net-session`: this host's part of the network measurement between hosts.
//! Not a check: the controller drives it over stdin/stdout (`ironprep_schema::net`) while every
//! other host runs its own session. The agent listens on the free ports its peers will use,
//! connects to its peers' ports when the plan arrives, and closes everything when stdin closes
//! (or at `--max-seconds`, whichever comes first).
//!
//! Nothing here touches files: listening, connecting and the raw sockets that read VRRP and
//! send or read IP-in-IP are socket calls, so the read-only guarantees hold
//! (`tests/readonly.rs` traces a session). A listener is opened only on a port nobody holds,
//! and only for the session. A raw socket of a protocol loads no kernel module: the kernel's
//! raw handler takes every protocol number, so the `ipip` module is neither needed nor loaded.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufRead, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use ironprep_schema::net::{
    Latency, NetClosed, NetPlan, NetProbes, NetReady, Port, PortProbe, PortProblem, ProbeResult,
    Protocol, UdpReceived, VrrpAdvert, VrrpListen,
};

/// IP protocol number of VRRP (RFC 5798).
const VRRP_PROTOCOL: i32 = 112;
/// IP protocol number of IP-in-IP (RFC 2003), Calico's default encapsulation.
const IPIP_PROTOCOL: i32 = 4;
/// The inner packet's protocol: 253, reserved for experiments (RFC 3692), so that a receiver
/// whose kernel decapsulates it hands it to no service.
const INNER_PROTOCOL: u8 = 253;
/// The VRRP multicast group, joined on the raw socket so advertisements are delivered.
const VRRP_GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// What a UDP datagram of the session starts with; the sender's name follows.
const UDP_TOKEN: &str = "ironprep-net ";
/// Datagrams sent per UDP port and peer (UDP may drop one without a firewall).
const UDP_REPEATS: u32 = 3;

/// The session's options, from `ironprep-agent net-session …`.
#[derive(Clone, Debug, Default)]
pub struct SessionOptions {
    pub listen: Vec<Port>,
    /// Listen for VRRP advertisements this long; 0: not at all.
    pub vrrp_seconds: u32,
    /// The session ends by itself after this, listeners closed, whatever the controller does.
    pub max_seconds: u64,
}

/// Runs a session: ready line, plan, probes line, then the closed line after `input` ends.
pub fn run(
    options: &SessionOptions,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> io::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let (ready, tcp, udp, ipip) = open_listeners(&options.listen, &stop);
    let vrrp = (options.vrrp_seconds > 0).then(|| {
        let seconds = options.vrrp_seconds;
        thread::spawn(move || listen_vrrp(Duration::from_secs(seconds.into())))
    });
    if options.max_seconds > 0 {
        let limit = Duration::from_secs(options.max_seconds);
        thread::spawn(move || {
            thread::sleep(limit);
            // The controller vanished or hung: end the session, which closes every socket.
            eprintln!(
                "ironprep-agent: net-session ended at --max-seconds {}",
                limit.as_secs()
            );
            std::process::exit(124);
        });
    }
    write_line(out, &ready)?;

    let mut line = String::new();
    if input.read_line(&mut line)? > 0 && !line.trim().is_empty() {
        let plan: NetPlan = serde_json::from_str(line.trim())
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
        write_line(out, &probe(&plan))?;
        // Until the controller says everyone is done: the peers may still be connecting here.
        let mut rest = String::new();
        while input.read_line(&mut rest)? > 0 {
            rest.clear();
        }
    }
    stop.store(true, Ordering::SeqCst);
    for handle in tcp {
        let _ = handle.join();
    }
    let mut received = Vec::new();
    for (port, handle) in udp {
        let from = handle.join().unwrap_or_default();
        received.push(UdpReceived {
            port,
            from: from.into_iter().collect(),
        });
    }
    let vrrp = vrrp.map(|handle| {
        handle.join().unwrap_or_else(|_| VrrpListen {
            error: Some("the listener panicked".to_owned()),
            ..VrrpListen::default()
        })
    });
    let ipip_from = ipip.map(|handle| handle.join().unwrap_or_default().into_iter().collect());
    write_line(
        out,
        &NetClosed {
            received,
            vrrp,
            ipip_from,
        },
    )
}

fn write_line<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)?;
    out.flush()
}

type UdpListener = (u16, thread::JoinHandle<BTreeSet<String>>);
type Listeners = (
    NetReady,
    Vec<thread::JoinHandle<()>>,
    Vec<UdpListener>,
    Option<thread::JoinHandle<BTreeSet<String>>>,
);

/// Opens a listener on every free port; a held port is reported, never shared (no
/// `SO_REUSEPORT`: a session must not take connections meant for a running service). Every
/// listener thread ends, its socket closed, when `stop` is set.
fn open_listeners(ports: &[Port], stop: &Arc<AtomicBool>) -> Listeners {
    let mut ready = NetReady::default();
    let mut tcp = Vec::new();
    let mut udp = Vec::new();
    let mut ipip = None;
    for port in ports {
        let opened = match port.protocol {
            Protocol::Ipip => raw_socket(IPIP_PROTOCOL).map(|socket| {
                let stop = stop.clone();
                ipip = Some(thread::spawn(move || receive_ipip(&socket, &stop)));
            }),
            Protocol::Tcp => bind_tcp(port.port).and_then(|listener| {
                listener.set_nonblocking(true)?;
                let stop = stop.clone();
                tcp.push(thread::spawn(move || accept_until(&listener, &stop)));
                Ok(())
            }),
            Protocol::Udp => bind_udp(port.port).map(|socket| {
                let stop = stop.clone();
                udp.push((
                    port.port,
                    thread::spawn(move || receive_udp(&socket, &stop)),
                ));
            }),
        };
        match opened {
            Ok(()) => ready.listening.push(*port),
            Err(error) if error.kind() == io::ErrorKind::AddrInUse => ready.in_use.push(*port),
            Err(error) => ready.unavailable.push(PortProblem {
                port: *port,
                error: error.to_string(),
            }),
        }
    }
    (ready, tcp, udp, ipip)
}

/// A raw IPv4 socket of one IP protocol (root only), as a datagram socket to read and send.
fn raw_socket(protocol: i32) -> io::Result<UdpSocket> {
    let socket = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::RAW,
        Some(socket2::Protocol::from(protocol)),
    )?;
    Ok(socket.into())
}

/// The names of the peers whose IP-in-IP packets arrived, until `stop`. A raw socket reads
/// the outer IPv4 header too: the inner packet follows it, and the session's token follows the
/// inner header.
fn receive_ipip(socket: &UdpSocket, stop: &AtomicBool) -> BTreeSet<String> {
    let mut from = BTreeSet::new();
    let _ = socket.set_read_timeout(Some(Duration::from_millis(100)));
    let mut buffer = [0_u8; 1500];
    while !stop.load(Ordering::SeqCst) {
        if let Ok((length, _)) = socket.recv_from(&mut buffer)
            && let Some(name) = ipip_sender(&buffer[..length])
        {
            from.insert(name);
        }
    }
    from
}

/// The sender named in a session's IP-in-IP packet (outer header, inner header, token).
fn ipip_sender(packet: &[u8]) -> Option<String> {
    let outer = usize::from(packet.first()? & 0x0f) * 4;
    let inner = packet.get(outer..)?;
    if inner.first()? >> 4 != 4 || *inner.get(9)? != INNER_PROTOCOL {
        return None;
    }
    let payload = inner.get(usize::from(inner.first()? & 0x0f) * 4..)?;
    std::str::from_utf8(payload)
        .ok()?
        .strip_prefix(UDP_TOKEN)
        .map(str::to_owned)
}

/// An IPv4 packet from `source` to `destination` of protocol 253 carrying `payload`: what a
/// session encapsulates in IP-in-IP.
fn inner_packet(source: Ipv4Addr, destination: Ipv4Addr, payload: &[u8]) -> Vec<u8> {
    let length = u16::try_from(20 + payload.len()).unwrap_or(u16::MAX);
    let mut packet = vec![0x45, 0];
    packet.extend(length.to_be_bytes());
    packet.extend([0, 0, 0x40, 0, 64, INNER_PROTOCOL, 0, 0]);
    packet.extend(source.octets());
    packet.extend(destination.octets());
    let mut sum: u32 = packet
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], pair[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let checksum = !(sum as u16);
    packet[10..12].copy_from_slice(&checksum.to_be_bytes());
    packet.extend_from_slice(payload);
    packet
}

/// Sends a few IP-in-IP packets to `destination` (the kernel adds the outer header); the
/// receiver's session says whether one arrived.
fn send_ipip(destination: Ipv4Addr, token: &str) -> io::Result<()> {
    // The source address the kernel would use for this peer, found without sending anything.
    let probe = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    probe.connect((destination, 9))?;
    let source = match probe.local_addr()?.ip() {
        IpAddr::V4(ip) => ip,
        IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
    };
    let packet = inner_packet(source, destination, token.as_bytes());
    let socket = raw_socket(IPIP_PROTOCOL)?;
    for attempt in 0..UDP_REPEATS {
        if attempt > 0 {
            thread::sleep(Duration::from_millis(50));
        }
        socket.send_to(&packet, SocketAddr::new(IpAddr::V4(destination), 0))?;
    }
    Ok(())
}

/// Accepts and closes at once (the kernel completed the handshake: that is the measurement)
/// until `stop`; connections wait in the backlog between two looks.
fn accept_until(listener: &TcpListener, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => drop(stream),
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Both address families where IPv6 is on (one dual-stack socket), IPv4 otherwise.
fn bind_tcp(port: u16) -> io::Result<TcpListener> {
    match TcpListener::bind((Ipv6Addr::UNSPECIFIED, port)) {
        Err(error) if error.kind() != io::ErrorKind::AddrInUse => {
            TcpListener::bind((Ipv4Addr::UNSPECIFIED, port))
        }
        result => result,
    }
}

fn bind_udp(port: u16) -> io::Result<UdpSocket> {
    match UdpSocket::bind((Ipv6Addr::UNSPECIFIED, port)) {
        Err(error) if error.kind() != io::ErrorKind::AddrInUse => {
            UdpSocket::bind((Ipv4Addr::UNSPECIFIED, port))
        }
        result => result,
    }
}

/// The names of the peers whose datagrams arrived, until `stop`.
fn receive_udp(socket: &UdpSocket, stop: &AtomicBool) -> BTreeSet<String> {
    let mut from = BTreeSet::new();
    let _ = socket.set_read_timeout(Some(Duration::from_millis(100)));
    let mut buffer = [0_u8; 512];
    while !stop.load(Ordering::SeqCst) {
        if let Ok((length, _)) = socket.recv_from(&mut buffer)
            && let Some(name) = std::str::from_utf8(&buffer[..length])
                .ok()
                .and_then(|text| text.strip_prefix(UDP_TOKEN))
        {
            from.insert(name.to_owned());
        }
    }
    from
}

/// Every port of every target, `plan.parallel` at a time, then the latency samples.
pub fn probe(plan: &NetPlan) -> NetProbes {
    let timeout = Duration::from_millis(plan.timeout_ms.max(1));
    let jobs: Vec<(String, IpAddr, Port)> = plan
        .targets
        .iter()
        .filter_map(|target| Some((target, target.address.parse::<IpAddr>().ok()?)))
        .flat_map(|(target, ip)| {
            target
                .ports
                .iter()
                .map(move |port| (target.host.clone(), ip, *port))
        })
        .collect();
    let token = format!("{UDP_TOKEN}{}", plan.from);
    let probes = in_parallel(jobs, plan.parallel, |(host, ip, port)| {
        connect(&host, ip, port, timeout, &token)
    });
    let samples = plan.latency_samples.max(1);
    // The planned port, unless the matrix just found it closed: then any that answered.
    let answered = |host: &str, port: u16| {
        probes.iter().any(|probe| {
            probe.host == host
                && probe.port.protocol == Protocol::Tcp
                && probe.port.port == port
                && probe.result == ProbeResult::Open
        })
    };
    let latency_jobs: Vec<(String, SocketAddr)> = plan
        .targets
        .iter()
        .filter_map(|target| {
            let ip = target.address.parse::<IpAddr>().ok()?;
            let planned = target.latency_port?;
            let port = if answered(&target.host, planned) {
                planned
            } else {
                target
                    .ports
                    .iter()
                    .find(|port| answered(&target.host, port.port))
                    .map_or(planned, |port| port.port)
            };
            Some((target.host.clone(), SocketAddr::new(ip, port)))
        })
        .collect();
    // Two at once: each sample should see the path, not this host's (or the peer's) queue.
    let latency = in_parallel(
        latency_jobs,
        plan.parallel.clamp(1, 2),
        |(host, address)| {
            let samples_us = (0..samples)
                .filter_map(|_| {
                    let started = Instant::now();
                    TcpStream::connect_timeout(&address, timeout)
                        .ok()
                        .map(|_| started.elapsed().as_micros() as u64)
                })
                .collect();
            Latency {
                host,
                port: address.port(),
                samples_us,
            }
        },
    );
    NetProbes { probes, latency }
}

fn connect(host: &str, ip: IpAddr, port: Port, timeout: Duration, token: &str) -> PortProbe {
    let address = SocketAddr::new(ip, port.port);
    let mut result = PortProbe {
        host: host.to_owned(),
        port,
        result: ProbeResult::Open,
        connect_us: None,
        error: None,
    };
    match port.protocol {
        Protocol::Tcp => {
            let started = Instant::now();
            match TcpStream::connect_timeout(&address, timeout) {
                Ok(_) => result.connect_us = Some(started.elapsed().as_micros() as u64),
                Err(error) => {
                    result.result = match error.kind() {
                        io::ErrorKind::ConnectionRefused => ProbeResult::Refused,
                        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ProbeResult::Timeout,
                        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
                            ProbeResult::Unreachable
                        }
                        _ => ProbeResult::Error,
                    };
                    result.error = Some(error.to_string());
                }
            }
        }
        Protocol::Ipip => {
            let sent = match ip {
                IpAddr::V4(destination) => send_ipip(destination, token),
                IpAddr::V6(_) => Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "IP-in-IP carries IPv4 between IPv4 hosts",
                )),
            };
            match sent {
                Ok(()) => result.result = ProbeResult::Sent,
                Err(error) => {
                    result.result = ProbeResult::Error;
                    result.error = Some(error.to_string());
                }
            }
        }
        Protocol::Udp => {
            let local = if ip.is_ipv4() {
                IpAddr::V4(Ipv4Addr::UNSPECIFIED)
            } else {
                IpAddr::V6(Ipv6Addr::UNSPECIFIED)
            };
            let sent = UdpSocket::bind((local, 0)).and_then(|socket| {
                for attempt in 0..UDP_REPEATS {
                    if attempt > 0 {
                        thread::sleep(Duration::from_millis(50));
                    }
                    socket.send_to(token.as_bytes(), address)?;
                }
                Ok(())
            });
            match sent {
                Ok(()) => result.result = ProbeResult::Sent,
                Err(error) => {
                    result.result = ProbeResult::Error;
                    result.error = Some(error.to_string());
                }
            }
        }
    }
    result
}

/// Runs `work` on every job with at most `parallel` threads; results in the jobs' order.
fn in_parallel<J: Send, R: Send>(
    jobs: Vec<J>,
    parallel: usize,
    work: impl Fn(J) -> R + Sync,
) -> Vec<R> {
    let count = jobs.len();
    let queue = Mutex::new(jobs.into_iter().enumerate().collect::<Vec<_>>());
    let results = Mutex::new(BTreeMap::new());
    thread::scope(|scope| {
        for _ in 0..parallel.clamp(1, count.max(1)) {
            scope.spawn(|| {
                loop {
                    let Some((index, job)) = queue.lock().ok().and_then(|mut queue| queue.pop())
                    else {
                        break;
                    };
                    let result = work(job);
                    if let Ok(mut results) = results.lock() {
                        results.insert(index, result);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .map(|results| results.into_values().collect())
        .unwrap_or_default()
}

/// Reads VRRP advertisements for `duration` from a raw socket (root only) joined to the VRRP
/// group on every IPv4 interface, and describes each router heard.
fn listen_vrrp(duration: Duration) -> VrrpListen {
    let mut listen = VrrpListen {
        seconds: duration.as_secs() as u32,
        ..VrrpListen::default()
    };
    let socket = match socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::RAW,
        Some(socket2::Protocol::from(VRRP_PROTOCOL)),
    ) {
        Ok(socket) => socket,
        Err(error) => {
            listen.error = Some(format!(
                "cannot open a raw socket for IP protocol 112: {error} (the agent needs root)"
            ));
            return listen;
        }
    };
    // Membership belongs to the socket and ends with it; joins that fail (an interface
    // without multicast) leave the others.
    let mut joined = 0;
    for interface in ipv4_interfaces() {
        if socket.join_multicast_v4(&VRRP_GROUP, &interface).is_ok() {
            joined += 1;
        }
    }
    if joined == 0 {
        let _ = socket.join_multicast_v4(&VRRP_GROUP, &Ipv4Addr::UNSPECIFIED);
    }
    let socket: UdpSocket = socket.into();
    let deadline = Instant::now() + duration;
    let mut routers: BTreeMap<(String, u8), VrrpAdvert> = BTreeMap::new();
    let mut buffer = [0_u8; 1500];
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if left.is_zero() || socket.set_read_timeout(Some(left)).is_err() {
            break;
        }
        let Ok((length, _)) = socket.recv_from(&mut buffer) else {
            continue;
        };
        if let Some(advert) = parse_vrrp(&buffer[..length]) {
            routers
                .entry((advert.source.clone(), advert.vrid))
                .and_modify(|known| known.count += 1)
                .or_insert(advert);
        }
    }
    listen.adverts = routers.into_values().collect();
    listen
}

fn ipv4_interfaces() -> Vec<Ipv4Addr> {
    let Ok(addresses) = nix::ifaddrs::getifaddrs() else {
        return Vec::new();
    };
    addresses
        .filter_map(|entry| {
            let ip = entry.address?.as_sockaddr_in()?.ip();
            (!ip.is_loopback()).then_some(ip)
        })
        .collect()
}

/// An IPv4 packet carrying a VRRP v2 or v3 advertisement (RFC 3768, RFC 5798).
pub fn parse_vrrp(packet: &[u8]) -> Option<VrrpAdvert> {
    let header_length = usize::from(packet.first()? & 0x0f) * 4;
    if packet.first()? >> 4 != 4 || packet.get(9)? != &(VRRP_PROTOCOL as u8) {
        return None;
    }
    let source = Ipv4Addr::new(
        *packet.get(12)?,
        *packet.get(13)?,
        *packet.get(14)?,
        *packet.get(15)?,
    );
    let vrrp = packet.get(header_length..)?;
    let (version, kind) = (vrrp.first()? >> 4, vrrp.first()? & 0x0f);
    if !matches!(version, 2 | 3) || kind != 1 {
        return None;
    }
    let count = usize::from(*vrrp.get(3)?);
    let addresses = (0..count)
        .filter_map(|index| {
            let at = 8 + index * 4;
            let bytes: [u8; 4] = vrrp.get(at..at + 4)?.try_into().ok()?;
            Some(Ipv4Addr::from(bytes).to_string())
        })
        .collect();
    Some(VrrpAdvert {
        source: source.to_string(),
        vrid: *vrrp.get(1)?,
        version,
        priority: *vrrp.get(2)?,
        addresses,
        count: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironprep_schema::net::NetTarget;

    /// A VRRPv2 advertisement for vrid 51, priority 100, VIP 10.0.0.100, from 10.0.0.7.
    fn advert() -> Vec<u8> {
        let mut packet = vec![
            0x45, 0, 0, 40, 0, 0, 0, 0, 255, 112, 0, 0, 10, 0, 0, 7, 224, 0, 0, 18,
        ];
        packet.extend([0x21, 51, 100, 1, 0, 1, 0, 0, 10, 0, 0, 100]);
        packet.extend([0; 8]);
        packet
    }

    #[test]
    fn reads_a_vrrp_advertisement() {
        let parsed = parse_vrrp(&advert()).unwrap();
        assert_eq!(
            (
                parsed.source.as_str(),
                parsed.vrid,
                parsed.version,
                parsed.priority
            ),
            ("10.0.0.7", 51, 2, 100)
        );
        assert_eq!(parsed.addresses, ["10.0.0.100"]);
        let mut other = advert_bytes_with(9, 6);
        assert!(parse_vrrp(&other).is_none(), "not VRRP");
        other = advert_bytes_with(20, 0x32);
        assert!(parse_vrrp(&other).is_none(), "not an advertisement");
        assert!(parse_vrrp(&advert()[..22]).is_none(), "truncated");
    }

    fn advert_bytes_with(index: usize, value: u8) -> Vec<u8> {
        let mut packet = advert();
        packet[index] = value;
        packet
    }

    #[test]
    fn ip_in_ip_packets_carry_the_sender_and_a_valid_inner_header() {
        let inner = inner_packet(
            Ipv4Addr::new(10, 0, 0, 7),
            Ipv4Addr::new(10, 0, 0, 8),
            b"ironprep-net cp1",
        );
        // A valid header sums to 0xffff with its checksum.
        let sum: u32 = inner[..20]
            .chunks(2)
            .map(|pair| u32::from(u16::from_be_bytes([pair[0], pair[1]])))
            .sum();
        assert_eq!((sum & 0xffff) + (sum >> 16), 0xffff);
        let mut outer = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 64, 4, 0, 0, 10, 0, 0, 7, 10, 0, 0, 8,
        ];
        outer.extend(&inner);
        assert_eq!(ipip_sender(&outer).as_deref(), Some("cp1"));
        outer[20 + 9] = 17;
        assert_eq!(
            ipip_sender(&outer),
            None,
            "not the session's inner protocol"
        );
        assert_eq!(ipip_sender(&outer[..22]), None, "truncated");
    }

    #[test]
    fn a_session_on_loopback_listens_probes_and_closes() {
        // Two free ports: one this session listens on, one nobody does (refused).
        let free = |count: usize| -> Vec<u16> {
            let sockets: Vec<TcpListener> = (0..count)
                .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
                .collect();
            sockets
                .iter()
                .map(|s| s.local_addr().unwrap().port())
                .collect()
        };
        let ports = free(2);
        let udp_port = UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let busy = TcpListener::bind("0.0.0.0:0").unwrap();
        let busy_port = busy.local_addr().unwrap().port();
        let tcp = |port| Port {
            protocol: Protocol::Tcp,
            port,
        };
        let udp = Port {
            protocol: Protocol::Udp,
            port: udp_port,
        };
        // IP-in-IP needs a raw socket: root, which the fleet's agents run as.
        let root = nix::unistd::geteuid().is_root();
        let options = SessionOptions {
            listen: vec![tcp(ports[0]), tcp(busy_port), udp, Port::IPIP],
            vrrp_seconds: 0,
            max_seconds: 30,
        };
        let plan = NetPlan {
            from: "self".to_owned(),
            targets: vec![NetTarget {
                host: "loopback".to_owned(),
                address: "127.0.0.1".to_owned(),
                ports: vec![tcp(ports[0]), tcp(ports[1]), udp, Port::IPIP],
                latency_port: Some(ports[0]),
            }],
            timeout_ms: 1000,
            parallel: 4,
            latency_samples: 3,
        };
        let input = format!("{}\n", serde_json::to_string(&plan).unwrap());
        let mut out = Vec::new();
        run(&options, &mut input.as_bytes(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        let ready: NetReady = serde_json::from_str(lines[0]).unwrap();
        if root {
            assert_eq!(ready.listening, [tcp(ports[0]), udp, Port::IPIP]);
        } else {
            assert_eq!(ready.listening, [tcp(ports[0]), udp]);
            assert_eq!(ready.unavailable[0].port, Port::IPIP);
        }
        assert_eq!(ready.in_use, [tcp(busy_port)]);
        let probes: NetProbes = serde_json::from_str(lines[1]).unwrap();
        let results: Vec<ProbeResult> = probes.probes.iter().map(|probe| probe.result).collect();
        let ipip = if root {
            ProbeResult::Sent
        } else {
            ProbeResult::Error
        };
        assert_eq!(
            results,
            [
                ProbeResult::Open,
                ProbeResult::Refused,
                ProbeResult::Sent,
                ipip
            ]
        );
        assert_eq!(probes.latency[0].samples_us.len(), 3);
        let closed: NetClosed = serde_json::from_str(lines[2]).unwrap();
        assert_eq!(
            closed.received,
            [UdpReceived {
                port: udp_port,
                from: vec!["self".to_owned()]
            }]
        );
        assert_eq!(
            closed.ipip_from,
            root.then(|| vec!["self".to_owned()]),
            "the session's own IP-in-IP packet arrived on loopback"
        );
        // Closed afterwards: the port is free again.
        assert!(TcpListener::bind(("0.0.0.0", ports[0])).is_ok());
        drop(busy);
    }
}
