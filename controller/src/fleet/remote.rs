//! What runs on a host: one POSIX shell script on one exec channel that checks privileges,
//! makes a private directory on a filesystem that allows exec, receives the compressed agent
//! (and the CA of the `reach.*` checks, when given) on stdin, runs the agent (as root, or with
//! `sudo -n`) and removes the directory whatever happens. Then the classification of what came
//! back into an outcome.
//!
//! The agent's integrity is the codec's: a zstd frame carries the XXH64 of its content, an xz
//! stream its check (CRC-64 as built; the controller sends neither without one) and gzip a
//! CRC-32 and the length, each checked by the decoder as it writes, so a cut or altered upload fails there and
//! never runs. A separate `sha256sum` of the 1.6 MB binary was the largest process of the
//! script after the decoder (about 6 ms of a host's CPU) for no error the decoder misses; SSH's
//! MAC covers the path. The CA, sent as is, is still hashed.
//!
//! The agent travels zstd-compressed when the host has `zstd` (a quarter smaller than gzip and
//! the quickest to undo); else xz when the host has `xz` and the agent came with its `.xz`
//! (smaller still, but undone at about seven times zstd's CPU: RHEL/CentOS 7 ship no zstd in
//! their base repositories, and their dracut requires xz); else gzip, which every host has. The
//! script names its decoders on stderr before it reads stdin, and the controller's first line
//! on stdin names the one it chose and the length of what follows: one round trip, no extra
//! channel. Each codec's form is made (or its file checked) when a host first asks for it.

use std::borrow::Cow;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flate2::Compression;
use flate2::write::GzEncoder;
use ironprep_schema::{AgentReport, HostOutcome};
use sha2::{Digest, Sha256};

use super::ssh::{CommandOutput, Exit};

/// The agent as it travels: compressed once per codec, checked on every host.
pub struct AgentUpload {
    agent: Arc<Compressions>,
    /// The CA file the `reach.*` checks verify against, shipped in the same stream.
    pub ca: Option<ShippedFile>,
    /// `--ask-become-pass`: the first line of stdin, read by the script for `sudo -S`; never
    /// on a command line, never in a message.
    pub become_password: Option<BecomePassword>,
}

/// The agent and what was precompressed beside it. Nothing here is cached: each codec's form
/// is made (or its precompressed file checked) once, by the stream that carries it (see
/// [`UploadStreams`]), the first time a host asks for that codec: a fleet of zstd hosts never
/// pays for gzip -1 of the agent or for undoing its `.xz` (together about 50 ms of the
/// controller's CPU, which a one-host run paid before its first connection).
struct Compressions {
    binary: Vec<u8>,
    /// `NAME.zst` and `NAME.xz` as read, not yet checked against `binary`.
    zstd_file: Option<Vec<u8>>,
    xz_file: Option<Vec<u8>>,
}

impl Compressions {
    /// The agent as `codec` compresses it, empty when that codec has nothing to send (no good
    /// `.xz`; zstd that could not compress). Blocks while it compresses or checks.
    fn form(&self, codec: Codec) -> Cow<'_, [u8]> {
        match codec {
            Codec::Zstd => match self
                .zstd_file
                .as_deref()
                .filter(|zstd| decompresses_to(zstd, &self.binary))
            {
                Some(zstd) => Cow::Borrowed(zstd),
                // Compressing into memory fails only on an invalid level; gzip then travels.
                None => Cow::Owned(compress_checked(&self.binary, ZSTD_LEVEL).unwrap_or_default()),
            },
            Codec::Xz => Cow::Borrowed(
                self.xz_file
                    .as_deref()
                    .filter(|xz| xz_decompresses_to(xz, &self.binary))
                    .unwrap_or_default(),
            ),
            Codec::Gzip => {
                let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
                // Writing into a Vec cannot fail.
                let _ = encoder.write_all(&self.binary);
                Cow::Owned(encoder.finish().unwrap_or_default())
            }
        }
    }
}

/// A sudo password; its `Debug` shows nothing of it.
pub struct BecomePassword(String);

impl BecomePassword {
    pub fn new(password: String) -> BecomePassword {
        BecomePassword(password)
    }
}

impl std::fmt::Debug for BecomePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BecomePassword(..)")
    }
}

/// A file that travels beside the agent, as it is, and is checked the same way.
pub struct ShippedFile {
    pub bytes: Vec<u8>,
    /// Hex SHA-256 of `bytes`.
    pub sha256: String,
}

/// The name of the shipped CA in the host's private directory.
const CA_NAME: &str = "ca.crt";

impl AgentUpload {
    pub fn new(binary: &[u8]) -> AgentUpload {
        AgentUpload::with_precompressed(binary.to_vec(), None, None)
    }

    /// `zstd` and `xz`, when given, are the agent compressed ahead of time (`NAME.zst` and
    /// `NAME.xz` beside it, made by scripts/build-agent.sh). Each travels only when it is
    /// exactly `binary`, with its integrity check (a stale file is ignored). Without a good
    /// `.zst` the agent is compressed here, at zstd level 6, with the checksum; without a good
    /// `.xz` no xz travels: at the preset that makes it worth sending, xz costs about a second
    /// of CPU, paid once when the agent is built, not on every run. Nothing is checked or
    /// compressed here: each codec's form is made when a host first asks for it.
    pub fn with_precompressed(
        binary: Vec<u8>,
        zstd: Option<Vec<u8>>,
        xz: Option<Vec<u8>>,
    ) -> AgentUpload {
        AgentUpload {
            agent: Arc::new(Compressions {
                binary,
                zstd_file: zstd,
                xz_file: xz,
            }),
            ca: None,
            become_password: None,
        }
    }

    /// Ships `pem` beside the agent and passes its path on the host with `--ca`.
    pub fn with_ca(mut self, pem: Vec<u8>) -> AgentUpload {
        self.ca = Some(ShippedFile {
            sha256: hex_sha256(&pem),
            bytes: pem,
        });
        self
    }

    /// The agent as `codec` compresses it, made now: empty when this upload cannot send that
    /// codec. A run reaches it only through [`UploadStreams`], on a blocking thread.
    #[cfg(test)]
    fn compressed(&self, codec: Codec) -> Vec<u8> {
        self.agent.form(codec).into_owned()
    }

    /// The streams of a run (reports, first stages and network sessions alike), one per codec,
    /// each made when a host first asks for it.
    pub fn upload_streams(&self) -> UploadStreams {
        let mut prefix = Vec::new();
        // The sudo password line is read first by the script (after it announced its decoders).
        if let Some(BecomePassword(password)) = &self.become_password {
            prefix.extend_from_slice(password.as_bytes());
            prefix.push(b'\n');
        }
        UploadStreams(Arc::new(StreamParts {
            prefix,
            ca: self
                .ca
                .as_ref()
                .map(|ca| ca.bytes.clone())
                .unwrap_or_default(),
            agent: self.agent.clone(),
            zstd: tokio::sync::OnceCell::new(),
            xz: tokio::sync::OnceCell::new(),
            gzip: tokio::sync::OnceCell::new(),
        }))
    }

    /// What the script reads on stdin for `codec`, made now (see [`StreamParts::stream`]);
    /// `None` when this upload cannot send that codec.
    #[cfg(test)]
    fn stream_for(&self, codec: Codec) -> Option<Vec<u8>> {
        self.upload_streams().0.stream(codec)
    }
}

/// zstd's level for an agent that comes without its `.zst`. The controller compresses once
/// per run, while the first connections are made; on the 3.7 MB portable agent level 6 costs
/// what gzip -1 does (70 ms) and is 18% smaller (1.52 MB against 1.86 MB); level 12 saves 2%
/// more for 15 times the CPU. Level 19 (10% smaller again, about 1.5 s) is paid once, when the
/// agent is built.
const ZSTD_LEVEL: i32 = 6;

/// The agent as one zstd frame with its content checksum, which the host's `zstd -d` checks.
fn compress_checked(binary: &[u8], level: i32) -> std::io::Result<Vec<u8>> {
    let mut compressor = zstd::bulk::Compressor::new(level)?;
    compressor.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(true))?;
    compressor.compress(binary)
}

/// Whether `zstd` is one zstd frame, with its content checksum, of exactly `binary`:
/// decompressed into a buffer of the binary's size plus one byte, so a wrong or hostile file
/// can neither fool the check nor take more memory than the agent itself. Without the checksum
/// (`zstd --no-check`) the host could not tell a damaged upload.
fn decompresses_to(zstd: &[u8], binary: &[u8]) -> bool {
    one_checked_frame(zstd)
        && zstd::bulk::decompress(zstd, binary.len().saturating_add(1))
            .is_ok_and(|decompressed| decompressed == binary)
}

/// The frame header's descriptor byte follows the 4-byte magic; its bit 2 says a checksum of
/// the content ends the frame (RFC 8878, 3.1.1.1.1).
fn one_checked_frame(zstd: &[u8]) -> bool {
    const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
    const CONTENT_CHECKSUM: u8 = 0b100;
    zstd.starts_with(&MAGIC)
        && zstd
            .get(4)
            .is_some_and(|descriptor| descriptor & CONTENT_CHECKSUM != 0)
        && zstd::zstd_safe::find_frame_compressed_size(zstd) == Ok(zstd.len())
}

/// The most memory a host's `xz -d` may need for the agent (its dictionary; build-agent.sh
/// makes a 4 MiB one, about 5 MiB to undo). A `.xz` that asks more is not sent: the host's xz
/// sets no limit of its own when it decompresses.
const XZ_MEMORY_LIMIT: u64 = 16 << 20;

/// Whether `xz` is one .xz stream with an integrity check (a stream made with `--check=none`
/// could not tell a damaged upload, and one with a check ID liblzma does not know is decoded
/// unchecked here but fails with a warning on the host) that decompresses to exactly `binary`,
/// within [`XZ_MEMORY_LIMIT`] and into a buffer of the binary's size plus one byte, so a wrong
/// or hostile file can neither fool the check nor take more memory than the agent itself; and
/// whether every host's xz can undo it ([`xz_one_block_of_old_filters`]).
fn xz_decompresses_to(xz: &[u8], binary: &[u8]) -> bool {
    use liblzma::stream::{Action, Status, Stream, TELL_NO_CHECK, TELL_UNSUPPORTED_CHECK};
    let flags = TELL_NO_CHECK | TELL_UNSUPPORTED_CHECK;
    let Ok(mut decoder) = Stream::new_stream_decoder(XZ_MEMORY_LIMIT, flags) else {
        return false;
    };
    let mut decoded = Vec::with_capacity(binary.len().saturating_add(1));
    // All of the input and room for all of the output: one call decodes to the end of the
    // stream (its check, index and footer verified) or stops short, and either way it is done.
    matches!(
        decoder.process_vec(xz, &mut decoded, Action::Finish),
        Ok(Status::StreamEnd)
    ) && usize::try_from(decoder.total_in()).is_ok_and(|read| read == xz.len())
        && decoded == binary
        && xz_one_block_of_old_filters(xz)
}

/// Filters every xz since 5.0 decodes: delta, the BCJ filters for x86, PowerPC, IA-64, ARM,
/// ARM-Thumb and SPARC, and LZMA2. RHEL 7 ships xz 5.2; a newer filter (ARM64 and RISC-V came
/// with 5.4 and 5.6) decodes here but would fail on every such host.
const XZ_OLD_FILTERS: [u64; 8] = [0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x21];

/// Whether a stream that has just decoded whole holds one block (what `xz -T1` makes of the
/// agent; the index says how many) whose filters are all in [`XZ_OLD_FILTERS`]. More blocks
/// are not looked into: that agent travels another way.
fn xz_one_block_of_old_filters(xz: &[u8]) -> bool {
    // The stream footer (12 bytes) gives the index's size: its backward size field, in units
    // of four bytes, minus one. The index starts with 0x00 and its number of records.
    let footer = xz.len().checked_sub(12).and_then(|at| xz.get(at..at + 8));
    let index = footer
        .and_then(|footer| footer.get(4..8)?.try_into().ok())
        .map(|size: [u8; 4]| (u64::from(u32::from_le_bytes(size)) + 1) * 4)
        .and_then(|size| usize::try_from(size).ok())
        .and_then(|size| xz.len().checked_sub(size.checked_add(12)?))
        .and_then(|at| xz.get(at..));
    let mut at = 1;
    if !index.is_some_and(|index| index.first() == Some(&0) && vli(index, &mut at) == Some(1)) {
        return false;
    }
    // The block header behind the 12-byte stream header: its size ((first byte + 1) * 4),
    // flags (the number of filters, minus one, in the low two bits; whether the two sizes
    // follow in the top two), then each filter's ID and the size of its properties.
    let Some(header) = xz
        .get(12)
        .and_then(|&size| xz.get(12..12 + (usize::from(size) + 1) * 4))
    else {
        return false;
    };
    let Some(&flags) = header.get(1) else {
        return false;
    };
    let mut at = 2;
    for present in [0x40, 0x80] {
        if flags & present != 0 && vli(header, &mut at).is_none() {
            return false;
        }
    }
    (0..=flags & 0x03).all(|_| {
        let Some(id) = vli(header, &mut at) else {
            return false;
        };
        let properties = vli(header, &mut at).and_then(|size| usize::try_from(size).ok());
        at = at.saturating_add(properties.unwrap_or(usize::MAX));
        properties.is_some() && at <= header.len() && XZ_OLD_FILTERS.contains(&id)
    })
}

/// An .xz variable-length integer at `at` (seven bits a byte, least significant first, at most
/// nine bytes), moving `at` past it.
fn vli(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in 0..9 {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << (7 * shift);
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// How the agent is compressed on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    Zstd,
    Xz,
    Gzip,
}

impl Codec {
    /// Its name in the script: the decoder's program and the line that picks it.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Zstd => "zstd",
            Codec::Xz => "xz",
            Codec::Gzip => "gzip",
        }
    }
}

/// The decoders a host's script announced beyond gzip, which every host has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decoders {
    pub zstd: bool,
    pub xz: bool,
}

/// The line the script prints on stderr before it reads stdin: the decoders it has beyond
/// gzip (`ironprep-decoders: zstd xz`).
pub const DECODERS_MARKER: &str = "ironprep-decoders:";

/// How much of a host's stderr is searched for the script's announcements (its decoders, its
/// directory): each is one short line, and anything this long without it is not the script.
pub const ANNOUNCEMENT_WINDOW: usize = 4096;

/// What a host's script announced on stderr so far; `None` until the whole announcement has
/// arrived.
pub fn announced_decoders(stderr: &[u8]) -> Option<Decoders> {
    let text = String::from_utf8_lossy(stderr);
    let mut lines = text
        .split_inclusive('\n')
        .filter(|line| line.ends_with('\n'));
    let decoders = lines.find_map(|line| line.trim_end().strip_prefix(DECODERS_MARKER))?;
    let has = |name: &str| decoders.split_whitespace().any(|word| word == name);
    Some(Decoders {
        zstd: has("zstd"),
        xz: has("xz"),
    })
}

/// A run's streams by codec (see [`AgentUpload::upload_streams`]); cloned into every host's
/// task, made once each.
#[derive(Clone)]
pub struct UploadStreams(Arc<StreamParts>);

/// What goes into a stream, and each codec's stream once made (`None`: that codec has nothing
/// to send in this run).
struct StreamParts {
    /// The sudo password line, or nothing.
    prefix: Vec<u8>,
    ca: Vec<u8>,
    agent: Arc<Compressions>,
    zstd: tokio::sync::OnceCell<Option<Arc<Vec<u8>>>>,
    xz: tokio::sync::OnceCell<Option<Arc<Vec<u8>>>>,
    gzip: tokio::sync::OnceCell<Option<Arc<Vec<u8>>>>,
}

impl StreamParts {
    /// What the script reads on stdin in every mode: the sudo password line (with
    /// --ask-become-pass), a line with the codec's name and the compressed agent's length, the
    /// CA (exactly its length), then the agent compressed with that codec. A network session's
    /// input follows.
    fn stream(&self, codec: Codec) -> Option<Vec<u8>> {
        let agent = self.agent.form(codec);
        if agent.is_empty() {
            return None;
        }
        let header = format!("{} {}\n", codec.name(), agent.len());
        let mut stream =
            Vec::with_capacity(self.prefix.len() + header.len() + self.ca.len() + agent.len());
        stream.extend_from_slice(&self.prefix);
        stream.extend_from_slice(header.as_bytes());
        stream.extend_from_slice(&self.ca);
        stream.extend_from_slice(&agent);
        Some(stream)
    }

    fn cell(&self, codec: Codec) -> &tokio::sync::OnceCell<Option<Arc<Vec<u8>>>> {
        match codec {
            Codec::Zstd => &self.zstd,
            Codec::Xz => &self.xz,
            Codec::Gzip => &self.gzip,
        }
    }
}

impl UploadStreams {
    /// The stream for a host with `decoders`: zstd first (the quickest to undo, and small);
    /// then xz (the smallest, but about seven times zstd's CPU on the host, so only where zstd
    /// is missing); then gzip, which every host has. A codec this run lacks is passed over.
    /// `None` only if even gzip's stream could not be made (its task panicked).
    pub async fn for_host(&self, decoders: Decoders) -> Option<Arc<Vec<u8>>> {
        let wanted = [
            (decoders.zstd, Codec::Zstd),
            (decoders.xz, Codec::Xz),
            (true, Codec::Gzip),
        ];
        for (has, codec) in wanted {
            if has && let Some(stream) = self.stream(codec).await {
                return Some(stream);
            }
        }
        None
    }

    /// `codec`'s stream, made the first time (see [`UploadStreams::make`]).
    async fn stream(&self, codec: Codec) -> Option<Arc<Vec<u8>>> {
        if let Some(made) = self.0.cell(codec).get() {
            return made.clone();
        }
        self.make(codec).await.ok().flatten()
    }

    /// A task that fills `codec`'s cell, making the stream on a blocking thread unless it is
    /// made or in the making (compressing or checking the agent takes milliseconds of CPU that
    /// the connections' tasks should not wait behind). The task runs whether or not anyone
    /// waits for it: a caller that stops waiting (a timeout around it) would otherwise abandon
    /// the making, and the next host would start it over.
    fn make(&self, codec: Codec) -> tokio::task::JoinHandle<Option<Arc<Vec<u8>>>> {
        let parts = self.0.clone();
        tokio::spawn(async move {
            let making = parts.clone();
            parts
                .cell(codec)
                .get_or_init(|| async move {
                    tokio::task::spawn_blocking(move || making.stream(codec).map(Arc::new))
                        .await
                        .ok()
                        .flatten()
                })
                .await
                .clone()
        })
    }

    /// Starts making the zstd stream, which most hosts take, while the first connections are
    /// still being made.
    pub fn prepare(&self) {
        drop(self.make(Codec::Zstd));
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Exit codes the script uses for its own failures (above what sudo and the agent use).
const SUDO_PASSWORD: u32 = 200;
const SUDO_TTY: u32 = 201;
const SUDO_OTHER: u32 = 202;
const NO_EXEC_DIR: u32 = 203;
const UPLOAD_FAILED: u32 = 204;
const CHECKSUM: u32 = 205;
const SUDO_PASSWORD_REFUSED: u32 = 206;
/// coreutils `timeout` when the agent ran out of time on the host.
const HOST_TIMEOUT: u32 = 124;

/// The marker the script prints on stderr with its directory, so a controller that gives up
/// (timeout, Ctrl-C) can still remove it over a new channel.
pub const DIR_MARKER: &str = "ironprep-dir: ";

/// What the agent does once it is on the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Checks the host and prints its report; stdin ends with the upload.
    Report,
    /// `net-session`: stdin stays open after the upload and becomes the session's input, so
    /// the agent is read exactly by length and the CA is not passed.
    Session,
    /// The first stage on a `requiretty` host: receives and verifies the agent like `Report`
    /// but does not run it and keeps the directory; [`tty_run_command`] runs it on a PTY and
    /// [`collect_command`] reads its output back and removes the directory.
    Prepare,
}

/// The command line for one host: `sh -c '<script>'` so the login shell does not matter.
pub fn command(upload: &AgentUpload, agent_arguments: &[String], limit: Duration) -> String {
    format!(
        "/bin/sh -c {}",
        quote(&script(upload, agent_arguments, limit, Mode::Report))
    )
}

/// The command line of a network session (`ironprep-agent net-session …`).
pub fn session_command(
    upload: &AgentUpload,
    agent_arguments: &[String],
    limit: Duration,
) -> String {
    format!(
        "/bin/sh -c {}",
        quote(&script(upload, agent_arguments, limit, Mode::Session))
    )
}

fn script(upload: &AgentUpload, agent_arguments: &[String], limit: Duration, mode: Mode) -> String {
    let mut arguments: Vec<String> = agent_arguments.iter().map(|arg| quote(arg)).collect();
    // The upload is read under the host's own deadline (`$rx`, coreutils `timeout` where there
    // is one): over a link that goes down for good no end of input ever arrives, and sshd may
    // not notice for hours, so without it the script would wait, with a partial agent, that
    // long.
    // Every mode reads exactly the agent's length (`head -c` stops at its last byte): stdin
    // stays open after it (a session's input, or the watchdog's line to the controller), and a
    // cut upload never decompresses into something that runs (the checksum stops it too). The
    // lines before it (the sudo password; the codec and the compressed agent's length, which
    // only the stream knows: each codec's form is made when a host first asks for it) are read
    // by `read`, the CA by `dd`, so the length counts the agent's bytes only. The decoders are
    // announced first thing, so the upload overlaps the privilege check and the directory's
    // creation. `command -v` and `read` are built in: the choice costs the host no process;
    // `read` takes exactly one line from a pipe, leaving the CA and the agent behind it.
    let announce_decoders = format!(
        r#"decoders=""
command -v zstd >/dev/null 2>&1 && decoders=" zstd"
command -v xz >/dev/null 2>&1 && decoders="$decoders xz"
echo "{DECODERS_MARKER}$decoders" >&2
"#
    );
    // A length that is not a number stops the run before anything is read into the agent
    // (`head` would take "-1" for an option).
    let read_codec = format!(
        r#"IFS=' ' read -r codec bytes || {{ echo "stdin ended before the upload's first line: the controller sent no upload" >&2; exit {UPLOAD_FAILED}; }}
case ${{bytes:-}} in ''|*[!0-9]*) echo "the upload's first line is not a codec and a length: the stream is not this controller's" >&2; exit {UPLOAD_FAILED} ;; esac
"#
    );
    let receive_agent = r#"case $codec in zstd) $rx head -c "$bytes" | zstd -dcq ;; xz) $rx head -c "$bytes" | xz -dcq ;; gzip) $rx head -c "$bytes" | gzip -dc ;; *) false ;; esac"#;
    // The CA comes first on stdin; `dd bs=1` reads exactly its length and not a byte of the
    // agent behind it (a buffered reader could), and is in every base system.
    let (receive_ca, verify_ca) = match &upload.ca {
        Some(ca) => {
            if mode != Mode::Session {
                arguments.extend(["--ca".to_owned(), format!("\"$d/{CA_NAME}\"")]);
            }
            (
                format!(
                    r#"$rx dd bs=1 count={length} of="$d/{CA_NAME}" 2>/dev/null || {{ echo "cannot receive the CA file into $d (dd failed)" >&2; exit {UPLOAD_FAILED}; }}
"#,
                    length = ca.bytes.len()
                ),
                format!(
                    r#"sum=$(sha256sum "$d/{CA_NAME}" 2>/dev/null || openssl dgst -sha256 -r "$d/{CA_NAME}" 2>/dev/null)
sum=${{sum%% *}}
if [ "$sum" != "{sha}" ]; then
  echo "the CA file arrived corrupted: sha256 ${{sum:-unknown}}, expected {sha}" >&2
  exit {CHECKSUM}
fi
"#,
                    sha = ca.sha256
                ),
            )
        }
        None => (String::new(), String::new()),
    };
    // The first stage does not need sudo (it already said it wants a terminal); on success it
    // leaves the directory for the later stages, on failure it removes it as always.
    let (privileges, run_agent) = match mode {
        Mode::Prepare => (
            String::new(),
            format!(
                "{}trap - EXIT HUP INT TERM\nexit 0",
                reaper(limit + REAPER_MARGIN)
            ),
        ),
        Mode::Report | Mode::Session => (
            sudo_check(upload.become_password.is_some() && mode == Mode::Report),
            format!(
                r#"limit=""
command -v timeout >/dev/null 2>&1 && limit="timeout -k 5 {seconds}"
{launch}"#,
                seconds = limit.as_secs().max(1),
                launch = launch(mode, &arguments.join(" ")),
            ),
        ),
    };
    // The password line comes before everything else on stdin; `read` takes exactly that line.
    // A stdin that ends before it (the controller sent nothing) must not become an empty
    // password tried with sudo: a refused attempt is logged on the host, and the run would
    // say the password was wrong.
    let read_password = if upload.become_password.is_some() {
        format!(
            "IFS= read -r pw || {{ echo \"stdin ended before the sudo password line: the controller sent no upload\" >&2; exit {UPLOAD_FAILED}; }}\n"
        )
    } else {
        String::new()
    };
    // The exec probe is the agent's own file: the upload is written over it and keeps its mode,
    // which spares every host a chmod and an rm (each a process). The decoders are announced
    // before anything is read, so the controller can choose the codec.
    format!(
        r#"set -u
{IGNORE_LOST_CONNECTION}{announce_decoders}{read_password}{privileges}umask 077
d=""
for base in /var/tmp /tmp /dev/shm "${{HOME:-}}"; do
  [ -n "$base" ] && [ -d "$base" ] && [ -w "$base" ] || continue
  d=$(mktemp -d "$base/.ironprep.XXXXXXXX" 2>/dev/null) || {{ d=""; continue; }}
  printf '#!/bin/sh\nexit 0\n' >"$d/agent" && chmod 700 "$d/agent" && "$d/agent" 2>/dev/null && break
  rm -rf "$d"
  d=""
done
if [ -z "$d" ]; then
  echo "no writable directory allows exec (/var/tmp, /tmp, /dev/shm and \$HOME are noexec or read-only)" >&2
  exit {NO_EXEC_DIR}
fi
{LIFECYCLE}trap 'reap; [ -z "$w" ] || kill "$w" 2>/dev/null; rm -rf "$d"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
echo "{DIR_MARKER}$d" >&2
rx=""
command -v timeout >/dev/null 2>&1 && rx="timeout {upload_seconds}"
{read_codec}{receive_ca}{receive_agent} >"$d/agent" || {{ echo "the agent did not arrive intact in $d: ${{codec:-gzip}} -d failed (the upload was cut short or damaged, or the decoder could not write)" >&2; exit {UPLOAD_FAILED}; }}
{verify_ca}{run_agent}
"#,
        upload_seconds = limit.as_secs().max(1),
    )
}

/// First in the script: a controller that goes away closes stdout and stderr and may send
/// SIGHUP; a script killed by SIGPIPE on its next message would never run its EXIT trap.
const IGNORE_LOST_CONNECTION: &str = "trap '' PIPE HUP\n";

/// The agent's lifecycle on the host. `reap` ends the agent's process group (SIGTERM, which
/// sudo and `timeout` pass on, then SIGKILL) and is run by the EXIT trap and the watchdog.
const LIFECYCLE: &str = r#"pg="" w=""
reap() {
  [ -n "$pg" ] || return 0
  kill -TERM -"$pg" 2>/dev/null || kill -TERM "$pg" 2>/dev/null || return 0
  for _ in 1 2 3 4 5 6; do
    kill -0 -"$pg" 2>/dev/null || kill -0 "$pg" 2>/dev/null || return 0
    sleep 1
  done
  kill -KILL -"$pg" 2>/dev/null || kill -KILL "$pg" 2>/dev/null
  return 0
}
"#;

/// Starts the agent in its own session (so its whole process group can be ended) and waits
/// for it. In a report run the script's stdin stays open after the upload: a watchdog reads
/// it, and its end means the controller or the connection is gone, whatever the signal, so
/// the watchdog ends the agent and removes the directory itself. A session's stdin is the
/// agent's input, so there the agent's own end of input is the watchdog. The watchdog waits with
/// the builtin `read` (a subshell, no program: `cat` was one more exec on every host).
fn launch(mode: Mode, arguments: &str) -> String {
    let (input, watchdog) = match mode {
        Mode::Session => ("<&3", ""),
        Mode::Report | Mode::Prepare => (
            "</dev/null",
            "( while IFS= read -r _; do :; done <&3; reap; rm -rf \"$d\"; kill -TERM $$ 2>/dev/null ) >/dev/null 2>&1 &\nw=$!\n",
        ),
    };
    format!(
        r#"exec 3<&0
session=""
command -v setsid >/dev/null 2>&1 && session="setsid"
if [ "$run" = as_root ]; then
  printf '%s\n' "$pw" | $session sudo -S -p '' $limit "$d/agent" {arguments} 3<&- &
else
  $session $run $limit "$d/agent" {arguments} {input} 3<&- &
fi
pg=$!
echo "$pg" >"$d/{PGID_NAME}"
{watchdog}exec 3<&-
status=0
wait "$pg" || status=$?
pg=""
exit "$status""#
    )
}

/// The agent's process group, for a controller that cleans up over a new channel.
const PGID_NAME: &str = "pgid";

/// The reaper's process group (see [`reaper`]).
const REAPER_NAME: &str = "reaper";

/// How long after the host's own deadline a staged run's directory may wait for its
/// collection: the PTY run ends by then (`timeout -k 5`), and the collection follows at once.
const REAPER_MARGIN: Duration = Duration::from_secs(65);

/// A `requiretty` host keeps the directory between the stages, with no script of ours running
/// to notice the controller going away (the PTY stage's hangup ends the agent, not the files):
/// a detached reaper removes it after `after` unless the collection (or the controller's
/// cleanup) ends the reaper first.
fn reaper(after: Duration) -> String {
    format!(
        r#"session=""
command -v setsid >/dev/null 2>&1 && session="setsid"
$session /bin/sh -c 'sleep {seconds}; rm -rf "$0"' "$d" </dev/null >/dev/null 2>&1 &
echo $! >"$d/{REAPER_NAME}"
"#,
        seconds = after.as_secs().max(1)
    )
}

/// Ends the reaper of a staged run (its process group when setsid made one), before the
/// directory it guards is removed by the one who read it.
fn end_reaper() -> String {
    format!(
        r#"r=$(cat "$d/{REAPER_NAME}" 2>/dev/null); case $r in ''|*[!0-9]*) ;; *) kill -TERM -"$r" 2>/dev/null || kill -TERM "$r" 2>/dev/null ;; esac; "#
    )
}

/// A shell condition, true when the script does not run as root. `[ -O / ]` (the root
/// directory is ours) is the builtin answer for root, which spares the common case the `id`
/// process; a shell whose `test` lacks `-O` fails it and asks `id`, as does any other user.
const NOT_ROOT: &str = r#"! [ -O / ] 2>/dev/null && [ "$(id -u)" != 0 ]"#;

/// Root, or `sudo -n` that works without a password and without a terminal; `$run` is the
/// prefix that runs the agent. With a password (`$pw`, from stdin), `sudo -S` reads it from a
/// pipe fed by the shell's builtin printf, so it is in no process's arguments.
fn sudo_check(password: bool) -> String {
    if password {
        return format!(
            r#"as_root() {{ printf '%s\n' "$pw" | sudo -S -p '' "$@"; }}
if {NOT_ROOT}; then
  if ! err=$(as_root true 2>&1); then
    case $err in
      *incorrect*|*"try again"*|*"no password"*) echo "sudo refused the password" >&2; exit {SUDO_PASSWORD_REFUSED} ;;
      *tty*) echo "$err" >&2; exit {SUDO_TTY} ;;
      *) echo "$err" >&2; exit {SUDO_OTHER} ;;
    esac
  fi
  run="as_root"
else
  run=""
fi
"#
        );
    }
    format!(
        r#"if {NOT_ROOT}; then
  if ! err=$(sudo -n true 2>&1 </dev/null); then
    case $err in
      *"password is required"*) echo "$err" >&2; exit {SUDO_PASSWORD} ;;
      *tty*) echo "$err" >&2; exit {SUDO_TTY} ;;
      *) echo "$err" >&2; exit {SUDO_OTHER} ;;
    esac
  fi
  run="sudo -n"
else
  run=""
fi
"#
    )
}

/// sudo refused to run without a terminal (`Defaults requiretty`): the run is retried in
/// stages, the agent on a PTY.
pub fn needs_tty(output: &CommandOutput) -> bool {
    output.exit == Exit::Status(SUDO_TTY)
}

/// Stage 1 on a `requiretty` host: receive and verify the agent, keep the directory.
pub fn prepare_command(
    upload: &AgentUpload,
    agent_arguments: &[String],
    limit: Duration,
) -> String {
    format!(
        "/bin/sh -c {}",
        quote(&script(upload, agent_arguments, limit, Mode::Prepare))
    )
}

/// Stage 2: the agent under `sudo -n` on a PTY, its stdout and stderr into files in the
/// private directory (the PTY would merge them and turn LF into CRLF). The exit status is the
/// agent's (or sudo's, or `timeout`'s).
pub fn tty_run_command(
    upload: &AgentUpload,
    agent_arguments: &[String],
    limit: Duration,
    directory: &str,
) -> Option<String> {
    if !safe_directory(directory) {
        return None;
    }
    let mut arguments: Vec<String> = agent_arguments.iter().map(|arg| quote(arg)).collect();
    if upload.ca.is_some() {
        arguments.extend(["--ca".to_owned(), format!("\"$d/{CA_NAME}\"")]);
    }
    Some(format!(
        "/bin/sh -c {}",
        quote(&format!(
            r#"d={d}
limit=""
command -v timeout >/dev/null 2>&1 && limit="timeout -k 5 {seconds}"
sudo -n $limit "$d/agent" {arguments} >"$d/{REPORT_NAME}" 2>"$d/{STDERR_NAME}"
"#,
            d = quote(directory),
            seconds = limit.as_secs().max(1),
            arguments = arguments.join(" "),
        ))
    ))
}

/// Stage 3, over a channel without PTY: the agent's output back, then the directory removed
/// (it belongs to the login user, so no sudo is needed).
pub fn collect_command(directory: &str) -> Option<String> {
    safe_directory(directory).then(|| {
        format!(
            "/bin/sh -c {}",
            quote(&format!(
                r#"d={d}; {end_reaper}cat "$d/{REPORT_NAME}" 2>/dev/null; cat "$d/{STDERR_NAME}" >&2 2>/dev/null; rm -rf "$d""#,
                d = quote(directory),
                end_reaper = end_reaper(),
            ))
        )
    })
}

/// The staged run as if it had been one: the agent's output read back by the collection, the
/// exit and timing of the PTY run, and what the PTY showed (sudo's own messages) as stderr.
pub fn combine_staged(ran: CommandOutput, collected: CommandOutput) -> CommandOutput {
    let mut stderr = collected.stderr;
    let shown: Vec<u8> = ran
        .stdout
        .into_iter()
        .filter(|byte| *byte != b'\r')
        .collect();
    if !shown.iter().all(u8::is_ascii_whitespace) {
        if !stderr.is_empty() && !stderr.ends_with(b"\n") {
            stderr.push(b'\n');
        }
        stderr.extend_from_slice(&shown);
    }
    CommandOutput {
        stdout: collected.stdout,
        stderr,
        exit: ran.exit,
        stdin_done: ran.stdin_done,
    }
}

/// Where the staged run keeps the agent's output.
const REPORT_NAME: &str = "report.json";
const STDERR_NAME: &str = "stderr.txt";

/// Removes a directory the script announced, when the controller gave up on the host.
pub fn cleanup_command(directory: &str) -> Option<String> {
    safe_directory(directory).then(|| {
        format!(
            "/bin/sh -c {}",
            quote(&format!(
                "d={d}; {end_reaper}pg=$(cat \"$d/{PGID_NAME}\" 2>/dev/null); case $pg in ''|*[!0-9]*) ;; *) kill -TERM -\"$pg\" 2>/dev/null ;; esac; if {NOT_ROOT}; then rm -rf \"$d\" 2>/dev/null || sudo -n rm -rf \"$d\"; else rm -rf \"$d\"; fi",
                d = quote(directory),
                end_reaper = end_reaper(),
            ))
        )
    })
}

/// Only what the script itself creates: never a path a host could trick us into.
fn safe_directory(directory: &str) -> bool {
    let name = directory.rsplit('/').next().unwrap_or_default();
    name.starts_with(".ironprep.")
        && name.len() == ".ironprep.".len() + 8
        && directory.starts_with('/')
        && !directory.contains("..")
        && directory
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
}

/// The directory announced on stderr so far, if any.
pub fn announced_directory(stderr: &[u8]) -> Option<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .find_map(|line| line.strip_prefix(DIR_MARKER).map(str::to_owned))
}

/// A host's result after the agent ran.
#[derive(Debug)]
pub struct Classified {
    pub outcome: HostOutcome,
    pub error: Option<String>,
    pub report: Option<AgentReport>,
}

pub fn classify(output: &CommandOutput, user: &str) -> Classified {
    let stderr = clean_stderr(&output.stderr);
    let failed = |error: String| Classified {
        outcome: HostOutcome::AgentFailed,
        error: Some(error),
        report: None,
    };
    let status = match &output.exit {
        Exit::Lost => {
            return Classified {
                outcome: HostOutcome::Unreachable,
                error: Some(with_detail(
                    "the connection closed before the agent finished".to_owned(),
                    &stderr,
                )),
                report: None,
            };
        }
        Exit::Signal(signal) => {
            return failed(with_detail(
                format!("the agent was killed by signal {signal}"),
                &stderr,
            ));
        }
        Exit::Status(status) => *status,
    };
    match status {
        SUDO_PASSWORD => {
            return failed(format!(
                "sudo -n: a password is required for {user}; pass --ask-become-pass, allow \
                 passwordless sudo (NOPASSWD) for {user}, or log in as root"
            ));
        }
        SUDO_TTY => {
            return failed(format!(
                "sudo requires a terminal for {user} (Defaults requiretty): {stderr}"
            ));
        }
        SUDO_OTHER => return failed(format!("sudo -n failed for {user}: {stderr}")),
        SUDO_PASSWORD_REFUSED => {
            return failed(format!(
                "sudo refused the --ask-become-pass password for {user}"
            ));
        }
        NO_EXEC_DIR | UPLOAD_FAILED | CHECKSUM => return failed(stderr),
        HOST_TIMEOUT => {
            return Classified {
                outcome: HostOutcome::Timeout,
                error: Some("the agent ran out of time on the host".to_owned()),
                report: None,
            };
        }
        _ => {}
    }
    match serde_json::from_slice::<AgentReport>(&output.stdout) {
        Ok(report) if matches!(status, 0 | 1 | 3) => Classified {
            outcome: HostOutcome::Reported,
            error: None,
            report: Some(report),
        },
        Ok(_) => failed(with_detail(
            format!("the agent exited with status {status}"),
            &stderr,
        )),
        Err(error) => {
            if matches!(status, 0 | 1 | 3) {
                Classified {
                    outcome: HostOutcome::InvalidReport,
                    error: Some(format!(
                        "the output is not an agent report ({error}); it begins: {}",
                        excerpt(&output.stdout)
                    )),
                    report: None,
                }
            } else {
                failed(with_detail(
                    format!("the agent exited with status {status}"),
                    &stderr,
                ))
            }
        }
    }
}

/// The agent's clock against ours: the agent read its clock after the upload ended
/// (`stdin_done`) and before the report arrived (`received`), so the offset is the report's
/// clock minus the middle of that window, give or take half the window.
pub fn clock_offset(
    report: &AgentReport,
    stdin_done: SystemTime,
    received: SystemTime,
) -> Option<(i64, u64)> {
    let clock = report.host.clock_unix_ms? as i64;
    let start = stdin_done.duration_since(UNIX_EPOCH).ok()?.as_millis() as i64;
    let end = received.duration_since(UNIX_EPOCH).ok()?.as_millis() as i64;
    let middle = start + (end - start) / 2;
    Some((clock - middle, ((end - start).max(0) / 2) as u64))
}

fn clean_stderr(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|line| {
            !line.starts_with(DIR_MARKER)
                && !line.starts_with(DECODERS_MARKER)
                && !line.trim().is_empty()
        })
        .collect::<Vec<_>>()
        .join("; ")
        .chars()
        .take(500)
        .collect()
}

fn with_detail(message: String, stderr: &str) -> String {
    if stderr.is_empty() {
        message
    } else {
        format!("{message}: {stderr}")
    }
}

fn excerpt(bytes: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(bytes)
        .chars()
        .take(80)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.trim().is_empty() {
        "(nothing)".to_owned()
    } else {
        format!("'{}'", text.trim())
    }
}

/// POSIX single quoting.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(stdout: &str, stderr: &str, exit: Exit) -> CommandOutput {
        CommandOutput {
            stdout: stdout.as_bytes().to_vec(),
            stderr: stderr.as_bytes().to_vec(),
            exit,
            stdin_done: None,
        }
    }

    #[test]
    fn classifies_each_failure() {
        let sudo = classify(
            &output(
                "",
                "sudo: a password is required\n",
                Exit::Status(SUDO_PASSWORD),
            ),
            "ops",
        );
        assert_eq!(sudo.outcome, HostOutcome::AgentFailed);
        assert!(
            sudo.error
                .unwrap()
                .contains("a password is required for ops")
        );
        let garbage = classify(&output("hello {", "", Exit::Status(0)), "root");
        assert_eq!(garbage.outcome, HostOutcome::InvalidReport);
        assert!(garbage.error.unwrap().contains("'hello {'"));
        let lost = classify(&output("", "", Exit::Lost), "root");
        assert_eq!(lost.outcome, HostOutcome::Unreachable);
        let usage = classify(
            &output(
                "",
                "ironprep-dir: /tmp/x\nerror: bad flag\n",
                Exit::Status(2),
            ),
            "root",
        );
        assert_eq!(usage.outcome, HostOutcome::AgentFailed);
        assert_eq!(
            usage.error.as_deref(),
            Some("the agent exited with status 2: error: bad flag")
        );
        let noexec = classify(
            &output("", "no writable directory", Exit::Status(NO_EXEC_DIR)),
            "r",
        );
        assert_eq!(noexec.error.as_deref(), Some("no writable directory"));
    }

    #[test]
    fn quoting_and_cleanup_are_safe() {
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert!(cleanup_command("/var/tmp/.ironprep.AbC123xy").is_some());
        assert!(cleanup_command("/").is_none());
        assert!(cleanup_command("/home/u/.ironprep.AbC123xy/../..").is_none());
        assert!(cleanup_command("/tmp/.ironprep.Ab;rm -rf x").is_none());
        assert_eq!(
            announced_directory(b"x\nironprep-dir: /tmp/.ironprep.12345678\n").as_deref(),
            Some("/tmp/.ironprep.12345678")
        );
    }

    #[test]
    fn a_precompressed_agent_travels_only_when_it_is_exactly_the_agent() {
        let binary = b"the agent, as built".repeat(100);
        let checked = |data: &[u8]| compress_checked(data, 19).unwrap();
        let made = checked(&binary);
        let upload = AgentUpload::with_precompressed(binary.clone(), Some(made.clone()), None);
        assert_eq!(upload.compressed(Codec::Zstd), made);
        // A stale file (another build), a truncated one, one that is not zstd at all, one
        // without its content checksum (`zstd --no-check`: the host could not tell a damaged
        // upload) and one with a frame after the agent's are ignored: the agent is compressed
        // here, with the checksum, and still arrives intact.
        let stale = checked(&b"an older agent".repeat(100));
        let truncated = &made[..made.len() / 2];
        let unchecked = zstd::bulk::compress(&binary, 19).unwrap();
        let mut two_frames = made.clone();
        two_frames.extend_from_slice(&checked(b""));
        for wrong in [&stale[..], truncated, b"not zstd", &unchecked, &two_frames] {
            let upload =
                AgentUpload::with_precompressed(binary.clone(), Some(wrong.to_vec()), None);
            assert_ne!(upload.compressed(Codec::Zstd), wrong);
            assert!(one_checked_frame(&upload.compressed(Codec::Zstd)));
            assert_eq!(
                zstd::bulk::decompress(&upload.compressed(Codec::Zstd), 4096).unwrap(),
                binary
            );
        }
        // A frame that inflates past the agent's size is refused without inflating it whole.
        let bomb = zstd::bulk::compress(&vec![0u8; 64 << 20], 3).unwrap();
        assert!(!decompresses_to(&bomb, &binary));
    }

    /// `data` as one .xz stream with `check`, LZMA2 at `preset` with a `dict`-byte dictionary.
    fn xz(data: &[u8], preset: u32, dict: u32, check: liblzma::stream::Check) -> Vec<u8> {
        use liblzma::stream::{Action, Filters, LzmaOptions, Status, Stream};
        let mut options = LzmaOptions::new_preset(preset).unwrap();
        options.dict_size(dict);
        let mut filters = Filters::new();
        filters.lzma2(&options);
        let mut encoder = Stream::new_stream_encoder(&filters, check).unwrap();
        let mut out = Vec::with_capacity(data.len() + 4096);
        let status = encoder.process_vec(data, &mut out, Action::Finish).unwrap();
        assert_eq!(status, Status::StreamEnd);
        out
    }

    #[test]
    fn an_xz_agent_travels_only_when_it_is_exactly_the_agent_with_its_check() {
        use liblzma::stream::Check;
        let binary = b"the agent, as built".repeat(100);
        let made = xz(&binary, 6, 1 << 20, Check::Crc64);
        let upload = AgentUpload::with_precompressed(binary.clone(), None, Some(made.clone()));
        assert_eq!(upload.compressed(Codec::Xz), made);
        assert!(upload.stream_for(Codec::Xz).is_some());
        // Nothing made here: an agent without its .xz sends no xz.
        assert!(AgentUpload::new(&binary).compressed(Codec::Xz).is_empty());
        assert!(AgentUpload::new(&binary).stream_for(Codec::Xz).is_none());
        // A stale file, a truncated one, one that is not xz, one without an integrity check
        // (`xz --check=none`), one with a second stream behind the agent's and one whose
        // dictionary would have every host allocate 64 MiB are not sent.
        let stale = xz(&b"an older agent".repeat(100), 6, 1 << 20, Check::Crc64);
        let truncated = &made[..made.len() - 1];
        let unchecked = xz(&binary, 6, 1 << 20, Check::None);
        let mut two_streams = made.clone();
        two_streams.extend_from_slice(&xz(b"", 6, 1 << 20, Check::Crc64));
        let greedy = xz(&binary, 6, 64 << 20, Check::Crc64);
        assert!(xz_decompresses_to(
            &xz(&binary, 6, 4 << 20, Check::Crc32),
            &binary
        ));
        for wrong in [
            &stale[..],
            truncated,
            b"not xz",
            &unchecked,
            &two_streams,
            &greedy,
        ] {
            let upload =
                AgentUpload::with_precompressed(binary.clone(), None, Some(wrong.to_vec()));
            assert!(upload.compressed(Codec::Xz).is_empty());
        }
        // A stream that inflates past the agent's size is refused without inflating it whole.
        let bomb = xz(&vec![0u8; 64 << 20], 1, 1 << 20, Check::Crc64);
        assert!(!xz_decompresses_to(&bomb, &binary));
    }

    #[test]
    fn an_xz_agent_travels_only_when_every_hosts_xz_can_undo_it() {
        use liblzma::stream::{Action, Check, Filters, LzmaOptions, Stream};
        let binary = b"\xe8\x00\x00\x00\x00the agent, as built".repeat(200);
        let with = |bcj: fn(&mut Filters) -> &mut Filters| {
            let mut filters = Filters::new();
            bcj(&mut filters).lzma2(&LzmaOptions::new_preset(6).unwrap());
            let mut encoder = Stream::new_stream_encoder(&filters, Check::Crc64).unwrap();
            let mut out = Vec::with_capacity(binary.len() + 4096);
            encoder
                .process_vec(&binary, &mut out, Action::Finish)
                .unwrap();
            out
        };
        // What build-agent.sh makes (x86 BCJ, LZMA2), and LZMA2 alone: xz 5.0 knows both.
        assert!(xz_decompresses_to(&with(Filters::x86), &binary));
        assert!(xz_decompresses_to(&with(|filters| filters), &binary));
        // ARM64 (xz 5.4) and RISC-V (5.6) decode here, not on RHEL 7's xz 5.2.
        assert!(!xz_decompresses_to(&with(Filters::arm64), &binary));
        assert!(!xz_decompresses_to(&with(Filters::riscv), &binary));
        // A check ID liblzma does not know (2 is reserved, four bytes like CRC-32): decoded
        // without a check here, a warning and exit 2 from the host's xz.
        let mut reserved = xz(&binary, 6, 1 << 20, Check::Crc32);
        let crc = |bytes: &[u8]| {
            let mut crc = flate2::Crc::new();
            crc.update(bytes);
            crc.sum().to_le_bytes()
        };
        reserved[7] = 0x02;
        let header_crc = crc(&reserved[6..8]);
        reserved[8..12].copy_from_slice(&header_crc);
        let footer = reserved.len() - 12;
        reserved[footer + 9] = 0x02;
        let footer_crc = crc(&reserved[footer + 4..footer + 10]);
        reserved[footer..footer + 4].copy_from_slice(&footer_crc);
        assert!(!xz_decompresses_to(&reserved, &binary));
        // More than one block (xz -T0 splits a big file): not looked into, not sent.
        let xz_cli = |arguments: &[&str]| {
            std::process::Command::new("xz")
                .args(arguments)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .and_then(|mut child| {
                    child.stdin.take().unwrap().write_all(&binary)?;
                    child.wait_with_output()
                })
                .expect("run xz (apt-get install -y xz-utils)")
        };
        let two_blocks = xz_cli(&["-T1", "--block-size=2048", "-c"]);
        assert!(!xz_decompresses_to(&two_blocks.stdout, &binary));
        let one_block = xz_cli(&["-T1", "-c"]);
        assert!(xz_decompresses_to(&one_block.stdout, &binary));
    }

    #[test]
    fn a_become_password_is_only_the_first_line_of_stdin() {
        let mut upload = AgentUpload::new(b"agent");
        upload.become_password = Some(BecomePassword::new("s3cret-pw".to_owned()));
        let decoders = [(false, false), (true, false), (false, true), (true, true)];
        for (zstd, xz) in decoders {
            let stream = for_host(&upload.upload_streams(), zstd, xz);
            assert!(stream.starts_with(b"s3cret-pw\n"));
        }
        let line = command(&upload, &["check".to_owned()], Duration::from_secs(5));
        assert!(!line.contains("s3cret-pw"));
        assert!(line.contains("sudo -S"));
        // A stdin that ends before the password line (the controller sent nothing) stops the
        // script there, as any user: no empty password is ever tried with sudo.
        let inner = script(&upload, &[], Duration::from_secs(5), Mode::Report);
        let output = std::process::Command::new("sh")
            .args(["-c", &inner])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(UPLOAD_FAILED as i32));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("stdin ended before the sudo password"),
            "{stderr}"
        );
        assert!(!stderr.contains("ironprep-dir:"), "{stderr}");
        assert_eq!(
            format!("{:?}", upload.become_password),
            "Some(BecomePassword(..))"
        );
    }

    #[test]
    fn every_codec_carries_the_binary_and_its_check() {
        let made = xz(b"abc", 6, 1 << 20, liblzma::stream::Check::Crc64);
        let upload = AgentUpload::with_precompressed(b"abc".to_vec(), None, Some(made));
        assert!(one_checked_frame(&upload.compressed(Codec::Zstd)));
        let gzip = upload.compressed(Codec::Gzip);
        let mut decoder = flate2::read::GzDecoder::new(&gzip[..]);
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut decoder, &mut back).unwrap();
        assert_eq!(back, b"abc");
        assert_eq!(
            zstd::bulk::decompress(&upload.compressed(Codec::Zstd), 3).unwrap(),
            b"abc"
        );
        assert!(xz_decompresses_to(&upload.compressed(Codec::Xz), b"abc"));
        for codec in [Codec::Zstd, Codec::Xz, Codec::Gzip] {
            let stream = upload.stream_for(codec).unwrap();
            let agent = upload.compressed(codec);
            let header = format!("{} {}\n", codec.name(), agent.len());
            assert!(stream.starts_with(header.as_bytes()), "{codec:?}");
            assert!(stream.ends_with(&agent));
        }
    }

    #[tokio::test]
    async fn a_host_that_stops_waiting_does_not_abandon_its_codecs_making() {
        let streams = AgentUpload::new(b"abc").upload_streams();
        // A caller under a timeout (a network session's) that fires: one poll starts the
        // making, then the future is dropped.
        let mut waiting = Box::pin(streams.stream(Codec::Gzip));
        let first =
            std::future::poll_fn(|context| std::task::Poll::Ready(waiting.as_mut().poll(context)))
                .await;
        assert!(first.is_pending());
        drop(waiting);
        // The making goes on without it: the next host finds the stream made. The loop only
        // bounds the wait for a blocking thread; it times nothing.
        for _ in 0..3000 {
            if streams.0.gzip.get().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(streams.0.gzip.get().is_some_and(Option::is_some));
    }

    #[test]
    fn a_host_gets_the_codec_it_can_undo_zstd_then_xz_then_gzip() {
        let at_start = |stream: Arc<Vec<u8>>| {
            String::from_utf8_lossy(&stream[..stream.iter().position(|&b| b == b'\n').unwrap()])
                .into_owned()
        };
        let made = xz(b"abc", 6, 1 << 20, liblzma::stream::Check::Crc64);
        let streams =
            AgentUpload::with_precompressed(b"abc".to_vec(), None, Some(made)).upload_streams();
        // A zstd host costs the controller neither gzip -1 of the agent nor undoing its .xz:
        // a codec's form is made only where its stream is, and those two are not.
        assert!(at_start(for_host(&streams, true, true)).starts_with("zstd "));
        assert!(streams.0.zstd.get().is_some());
        assert!(streams.0.gzip.get().is_none() && streams.0.xz.get().is_none());
        let host = |zstd, xz| at_start(for_host(&streams, zstd, xz));
        assert!(host(true, true).starts_with("zstd "));
        assert!(host(true, false).starts_with("zstd "));
        assert!(host(false, true).starts_with("xz "));
        assert!(host(false, false).starts_with("gzip "));
        // An agent without its .xz: a host with xz only gets gzip.
        let streams = AgentUpload::new(b"abc").upload_streams();
        assert!(at_start(for_host(&streams, false, true)).starts_with("gzip "));
        assert!(at_start(for_host(&streams, true, true)).starts_with("zstd "));
    }

    /// The stream a host with these decoders gets, as a run's task would.
    fn for_host(streams: &UploadStreams, zstd: bool, xz: bool) -> Arc<Vec<u8>> {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(streams.for_host(Decoders { zstd, xz }))
            .unwrap()
    }

    #[test]
    fn the_decoders_are_read_from_the_whole_announcement_only() {
        let decoders = |zstd, xz| Some(Decoders { zstd, xz });
        assert_eq!(announced_decoders(b"ironprep-dir: /tmp/x\n"), None);
        // Cut mid-line: wait for the rest (" zstd" may still come).
        assert_eq!(announced_decoders(b"ironprep-decoders:"), None);
        assert_eq!(announced_decoders(b"ironprep-decoders: zstd"), None);
        assert_eq!(
            announced_decoders(b"ironprep-dir: /tmp/x\nironprep-decoders: zstd\n"),
            decoders(true, false)
        );
        assert_eq!(
            announced_decoders(b"ironprep-decoders: zstd xz\n"),
            decoders(true, true)
        );
        assert_eq!(
            announced_decoders(b"ironprep-decoders: xz\n"),
            decoders(false, true)
        );
        assert_eq!(
            announced_decoders(b"ironprep-decoders:\n"),
            decoders(false, false)
        );
        assert_eq!(
            announced_decoders(b"motd\nironprep-decoders: zstdx xzz\n"),
            decoders(false, false)
        );
    }

    /// The whole script on this machine, with an "agent" that prints the file after `--ca`:
    /// the CA arrives intact and separate from the agent behind it in the stream, and a
    /// corrupted CA or agent stops the run before anything runs. Runs as root only (otherwise
    /// the script asks sudo).
    #[test]
    fn the_ca_travels_in_the_stream_and_is_verified() {
        if nix_uid() != Some(0) {
            eprintln!("skipping: the script runs the agent directly only as root");
            return;
        }
        let agent = b"#!/bin/sh\nfor a; do last=$a; done; cat \"$last\"\n";
        let pem = b"-----BEGIN CERTIFICATE-----\nTUlJQg==\n-----END CERTIFICATE-----\n".to_vec();
        let made = xz(agent, 6, 1 << 20, liblzma::stream::Check::Crc64);
        let upload =
            AgentUpload::with_precompressed(agent.to_vec(), None, Some(made)).with_ca(pem.clone());
        let run = |stream: &[u8]| {
            let mut child = std::process::Command::new("sh")
                .args([
                    "-c",
                    &script(
                        &upload,
                        &["--flag".into()],
                        Duration::from_secs(9),
                        Mode::Report,
                    ),
                ])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(stream).unwrap();
            // Stdin stays open while the agent runs: its end would mean the controller left.
            let output = child.wait_with_output().unwrap();
            drop(stdin);
            output
        };
        // Every codec, whichever this machine's script asked for: the header line decides.
        for codec in [Codec::Gzip, Codec::Zstd, Codec::Xz] {
            let output = run(&upload.stream_for(codec).unwrap());
            assert!(
                output.status.success(),
                "{codec:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            assert_eq!(output.stdout, pem, "{codec:?}");
            assert!(announced_decoders(&output.stderr).is_some());
        }
        // An unknown codec never reaches the agent.
        let mut unknown = upload.stream_for(Codec::Gzip).unwrap();
        unknown[..4].copy_from_slice(b"lz4x");
        let output = run(&unknown);
        assert_eq!(output.status.code(), Some(UPLOAD_FAILED as i32));
        // A stdin that ends at once (the controller sent nothing) stops at the first read.
        let output = std::process::Command::new("sh")
            .args([
                "-c",
                &script(&upload, &[], Duration::from_secs(9), Mode::Report),
            ])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(UPLOAD_FAILED as i32));
        assert!(String::from_utf8_lossy(&output.stderr).contains("the controller sent no upload"));
        // Nor does a length that is not a number (the header line is the controller's, but a
        // script that trusted it would hand `head` an option).
        let gzip = upload.stream_for(Codec::Gzip).unwrap();
        let line_end = gzip.iter().position(|&byte| byte == b'\n').unwrap();
        for header in [&b"gzip -1"[..], b"gzip", b"gzip 12x"] {
            let mut wrong = header.to_vec();
            wrong.extend_from_slice(&gzip[line_end..]);
            let output = run(&wrong);
            assert_eq!(output.status.code(), Some(UPLOAD_FAILED as i32));
            assert!(output.stdout.is_empty());
            assert!(
                String::from_utf8_lossy(&output.stderr).contains("not a codec and a length"),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let mut corrupted = upload.stream_for(Codec::Gzip).unwrap();
        corrupted[30] ^= 1;
        let output = run(&corrupted);
        assert_eq!(output.status.code(), Some(CHECKSUM as i32));
        assert!(String::from_utf8_lossy(&output.stderr).contains("the CA file arrived corrupted"));
        // A damaged agent fails its codec's check (zstd's XXH64, xz's CRC-64, gzip's CRC-32)
        // and never runs, whichever byte of the compressed agent changed.
        for codec in [Codec::Gzip, Codec::Zstd, Codec::Xz] {
            let stream = upload.stream_for(codec).unwrap();
            let agent_start = stream.len() - upload.compressed(codec).len();
            for at in [agent_start + 12, stream.len() - 5, stream.len() - 1] {
                let mut damaged = stream.clone();
                damaged[at] ^= 0x20;
                let output = run(&damaged);
                assert_eq!(
                    output.status.code(),
                    Some(UPLOAD_FAILED as i32),
                    "{codec:?} byte {at}"
                );
                assert!(output.stdout.is_empty(), "{codec:?} byte {at} ran");
                assert!(
                    String::from_utf8_lossy(&output.stderr).contains("did not arrive intact"),
                    "{codec:?}"
                );
            }
        }
    }

    fn nix_uid() -> Option<u32> {
        let output = std::process::Command::new("id").arg("-u").output().ok()?;
        String::from_utf8_lossy(&output.stdout).trim().parse().ok()
    }

    #[test]
    fn the_staged_run_keeps_its_output_apart() {
        let upload = AgentUpload::new(b"abc").with_ca(b"pem".to_vec());
        let limit = Duration::from_secs(9);
        let prepare = script(&upload, &["--x".into()], limit, Mode::Prepare);
        assert!(!prepare.contains("sudo"));
        assert!(prepare.contains("trap - EXIT"));
        let directory = "/var/tmp/.ironprep.AbC123xy";
        let run = tty_run_command(&upload, &["--x".into()], limit, directory).unwrap();
        assert!(run.contains("sudo -n") && run.contains("--ca"));
        assert!(tty_run_command(&upload, &[], limit, "/etc").is_none());
        assert!(collect_command("/var/tmp/.ironprep.Ab;rm -rf x").is_none());
        for command in [run, collect_command(directory).unwrap()] {
            let inner = command.strip_prefix("/bin/sh -c ").unwrap();
            let status = std::process::Command::new("sh")
                .args(["-c", &format!("sh -n -c {inner}")])
                .status()
                .unwrap();
            assert!(status.success(), "{command}");
        }
        let ran = CommandOutput {
            stdout: b"sudo: something\r\n".to_vec(),
            stderr: Vec::new(),
            exit: Exit::Status(1),
            stdin_done: None,
        };
        let collected = output("{}", "agent says", Exit::Status(0));
        let combined = combine_staged(ran, collected);
        assert_eq!(combined.stdout, b"{}");
        assert_eq!(combined.stderr, b"agent says\nsudo: something\n");
        assert_eq!(combined.exit, Exit::Status(1));
    }

    #[test]
    fn the_script_is_valid_sh() {
        let upload = AgentUpload::new(b"abc").with_ca(b"pem".to_vec());
        let stream = for_host(&upload.upload_streams(), false, false);
        let gzip = upload.compressed(Codec::Gzip);
        let header = format!("gzip {}\npem", gzip.len());
        assert_eq!(stream[..header.len()], *header.as_bytes());
        assert_eq!(stream[header.len()..], *gzip);
        let script = script(
            &upload,
            &["--role".into(), "it's".into()],
            Duration::from_secs(9),
            Mode::Session,
        );
        let status = std::process::Command::new("sh")
            .args(["-n", "-c", &script])
            .status()
            .unwrap();
        assert!(status.success());
        for mode in [Mode::Report, Mode::Prepare] {
            let script = super::script(&upload, &[], Duration::from_secs(9), mode);
            let status = std::process::Command::new("sh")
                .args(["-n", "-c", &script])
                .status()
                .unwrap();
            assert!(status.success(), "{mode:?}");
        }
    }
}
