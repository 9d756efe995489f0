//! Listening TCP sockets from the kernel's socket-diagnostics netlink interface
//! (`NETLINK_SOCK_DIAG`, `ss -lt`'s source), on the running system only.
//!
//! `/proc/net/tcp` gives the same answer, but producing it makes the kernel walk every bucket
//! of its established-connections hash table, which is sized by the machine's memory: on this
//! 24 GiB VM that walk was 40 % of the agent's CPU time (perf, `established_get_first`), and it
//! grows with a server's RAM. A dump filtered on the LISTEN state walks only the listening
//! table. The request only reads: `SOCK_DIAG_BY_FAMILY` with `NLM_F_DUMP`, never
//! `SOCK_DESTROY`.

use std::io;
use std::net::SocketAddr;

use netlink_packet_core::{
    NLM_F_DUMP, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_sock_diag::SockDiagMessage;
use netlink_packet_sock_diag::constants::{AF_INET, AF_INET6, IPPROTO_TCP};
use netlink_packet_sock_diag::inet::{ExtensionFlags, InetRequest, SocketId, StateFlags};
use netlink_sys::protocols::NETLINK_SOCK_DIAG;
use netlink_sys::{Socket, SocketAddr as NetlinkAddr};

/// Bounds the answer: a host with more listening sockets than this is not one we can judge
/// from a dump we would have to hold in memory; the caller then reads the files instead.
const MAX_LISTENERS: usize = 65_536 * 2;

/// Every TCP socket in the LISTEN state, IPv4 and IPv6, as (local address, inode). An error
/// (no netlink, an unexpected answer) tells the caller to fall back to `/proc/net/tcp`.
pub fn tcp_listeners() -> io::Result<Vec<(SocketAddr, u64)>> {
    let mut listeners = Vec::new();
    for (family, socket_id) in [
        (AF_INET, SocketId::new_v4()),
        (AF_INET6, SocketId::new_v6()),
    ] {
        dump(family, socket_id, &mut listeners)?;
    }
    Ok(listeners)
}

fn dump(family: u8, socket_id: SocketId, listeners: &mut Vec<(SocketAddr, u64)>) -> io::Result<()> {
    let mut socket = Socket::new(NETLINK_SOCK_DIAG)?;
    socket.bind_auto()?;
    socket.connect(&NetlinkAddr::new(0, 0))?;
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    let mut request = NetlinkMessage::new(
        header,
        SockDiagMessage::InetRequest(InetRequest {
            family,
            protocol: IPPROTO_TCP,
            extensions: ExtensionFlags::empty(),
            states: StateFlags::LISTEN,
            socket_id,
        })
        .into(),
    );
    request.finalize();
    let mut bytes = vec![0; request.buffer_len()];
    request.serialize(&mut bytes);
    socket.send(&bytes, 0)?;

    let malformed = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    // One page of messages at a time, as the kernel sends them; 32 KiB holds a full batch.
    let mut buffer = vec![0u8; 32 * 1024];
    loop {
        let size = socket.recv(&mut &mut buffer[..], 0)?;
        if size == 0 {
            return Err(malformed("the kernel closed the dump early".to_owned()));
        }
        let mut offset = 0;
        while offset < size {
            let message = NetlinkMessage::<SockDiagMessage>::deserialize(&buffer[offset..size])
                .map_err(|error| malformed(format!("sock_diag answer: {error}")))?;
            let length = message.header.length as usize;
            match message.payload {
                NetlinkPayload::InnerMessage(SockDiagMessage::InetResponse(response)) => {
                    let id = &response.header.socket_id;
                    listeners.push((
                        SocketAddr::new(id.source_address, id.source_port),
                        u64::from(response.header.inode),
                    ));
                    if listeners.len() > MAX_LISTENERS {
                        return Err(malformed(format!(
                            "more than {MAX_LISTENERS} listening sockets"
                        )));
                    }
                }
                NetlinkPayload::Done(_) => return Ok(()),
                NetlinkPayload::Error(error) => {
                    return Err(malformed(format!("sock_diag refused the dump: {error:?}")));
                }
                _ => {}
            }
            if length == 0 {
                return Err(malformed("a zero-length netlink message".to_owned()));
            }
            offset += length;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;

    /// The inode of a socket this process holds, from its `/proc/self/fd` link.
    fn inode(listener: &TcpListener) -> u64 {
        use std::os::fd::AsRawFd as _;
        let link = std::fs::read_link(format!("/proc/self/fd/{}", listener.as_raw_fd())).unwrap();
        link.to_string_lossy()
            .trim_start_matches("socket:[")
            .trim_end_matches(']')
            .parse()
            .unwrap()
    }

    #[test]
    fn a_socket_this_test_listens_on_is_found_with_its_inode_and_a_connected_one_is_not() {
        let v4 = TcpListener::bind("127.0.0.1:0").unwrap();
        // A connection: an established socket on each side, neither of them listening.
        let client = std::net::TcpStream::connect(v4.local_addr().unwrap()).unwrap();
        let (server, _) = v4.accept().unwrap();
        let v6 = TcpListener::bind("[::1]:0").ok();
        let found = tcp_listeners().expect("sock_diag answers on Linux");
        assert!(
            found.contains(&(v4.local_addr().unwrap(), inode(&v4))),
            "{found:?}"
        );
        for established in [client.local_addr().unwrap(), server.local_addr().unwrap()] {
            assert!(
                !found.iter().any(|(address, _)| *address == established
                    && established != v4.local_addr().unwrap()),
                "{established} is not listening: {found:?}"
            );
        }
        if let Some(v6) = v6 {
            assert!(
                found.contains(&(v6.local_addr().unwrap(), inode(&v6))),
                "{found:?}"
            );
        }
    }
}
