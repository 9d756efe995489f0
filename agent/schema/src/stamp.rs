//! The build stamp that pairs an agent with its lean sibling. scripts/build-agent.sh sets
//! `IRONPREP_AGENT_BUILD` once per run, so `ironprep-agent` and `ironprep-agent-lean` of one run
//! carry the same stamp and the builds of two runs different ones. The controller sends
//! `FILE-lean` beside `--agent FILE` only when the two stamps agree: a lean file left over from
//! an older build would otherwise check every host with older checks. The controller cannot
//! ask the binaries (they may not run where it does), so the stamp is found in their bytes.

/// What precedes the stamp in the agent's read-only data.
pub const MARKER: &[u8] = b"ironprep-agent-build:";

/// The embedded array: [`MARKER`], the stamp, NUL padding (at least one NUL ends the stamp).
pub const BYTES: usize = 96;

/// The array the agent embeds for `stamp` (`option_env!("IRONPREP_AGENT_BUILD")`); a stamp too
/// long for it is cut, and one with a byte outside [`stamp_byte`] ends there.
pub const fn embed(stamp: Option<&str>) -> [u8; BYTES] {
    let mut out = [0u8; BYTES];
    let mut at = 0;
    while at < MARKER.len() {
        out[at] = MARKER[at];
        at += 1;
    }
    if let Some(stamp) = stamp {
        let bytes = stamp.as_bytes();
        let mut from = 0;
        while from < bytes.len() && at < BYTES - 1 && stamp_byte(bytes[from]) {
            out[at] = bytes[from];
            at += 1;
            from += 1;
        }
    }
    out
}

/// The stamp in an array made by [`embed`], read by position: the agent reports its own stamp
/// without a second copy of [`MARKER`] in its binary, which [`find`] could meet first.
pub fn read(embedded: &[u8; BYTES]) -> Option<&str> {
    let rest = &embedded[MARKER.len()..];
    let end = rest.iter().position(|&byte| byte == 0)?;
    std::str::from_utf8(&rest[..end])
        .ok()
        .filter(|stamp| !stamp.is_empty())
}

/// The stamp of an agent binary: the first [`MARKER`] followed by stamp bytes and a NUL within
/// [`BYTES`]; `None` for a binary built without one (`cargo build`).
pub fn find(binary: &[u8]) -> Option<&[u8]> {
    let mut from = 0;
    while let Some(found) = binary
        .get(from..)?
        .windows(MARKER.len())
        .position(|window| window == MARKER)
    {
        let start = from + found + MARKER.len();
        let rest = &binary[start..binary.len().min(start + BYTES - MARKER.len())];
        let length = rest
            .iter()
            .position(|&byte| !stamp_byte(byte))
            .unwrap_or(rest.len());
        if length > 0 && rest.get(length) == Some(&0) {
            return Some(&rest[..length]);
        }
        from = start;
    }
    None
}

/// The bytes a stamp is made of (build-agent.sh: commit, date, process id).
pub const fn stamp_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_' | b':' | b'+')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_is_found_where_it_was_embedded_and_nowhere_else() {
        let embedded = embed(Some("0123abcd-dirty.20261204T070000.4242"));
        assert_eq!(read(&embedded), Some("0123abcd-dirty.20261204T070000.4242"));
        // In a binary: the marker may also appear where no stamp follows it (a string that
        // merely starts the same way); the embedded array is what counts.
        let mut binary = b"\x7fELF....ironprep-agent-build:/usr/lib and more text".to_vec();
        binary.extend_from_slice(&embedded);
        binary.extend_from_slice(b"trailing data");
        assert_eq!(
            find(&binary),
            Some(&b"0123abcd-dirty.20261204T070000.4242"[..])
        );
        // Built without a stamp: the marker and only padding.
        let mut unstamped = b"code".to_vec();
        unstamped.extend_from_slice(&embed(None));
        assert_eq!(find(&unstamped), None);
        assert_eq!(read(&embed(None)), None);
        assert_eq!(find(b"no marker at all"), None);
        // Cut at the end of the file: not a stamp.
        assert_eq!(find(b"xx ironprep-agent-build:abc"), None);
    }

    #[test]
    fn a_long_or_odd_stamp_is_cut_not_spilled() {
        let long = "a".repeat(500);
        let embedded = embed(Some(&long));
        assert_eq!(embedded.len(), BYTES);
        assert_eq!(embedded[BYTES - 1], 0);
        assert_eq!(read(&embedded).unwrap().len(), BYTES - MARKER.len() - 1);
        assert_eq!(find(&embedded).unwrap().len(), BYTES - MARKER.len() - 1);
        assert_eq!(read(&embed(Some("abc def"))), Some("abc"));
    }
}
