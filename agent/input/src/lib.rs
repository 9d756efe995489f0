//! Reading files that someone else controls — manifests, inventories, known_hosts, keys, the
//! files under an agent's `--root` — so that a hostile or mistaken path cannot hang a run or
//! exhaust its memory: only regular files are read (a FIFO would block forever on open or
//! read, `/dev/zero` never ends), and never more than a cap the caller names. The error says
//! what is wrong without the path; the caller attaches the file it was reading.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
use std::path::Path;

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}", io_reason(.0))]
    Io(#[from] io::Error),
    /// A FIFO, device, socket or directory where a file was expected.
    #[error("is {0}, not a regular file")]
    NotRegular(&'static str),
    #[error("is larger than {}; not a file this reads", size_text(*.max))]
    TooLarge { max: u64 },
    #[error("is not UTF-8 text")]
    NotUtf8,
}

impl ReadError {
    /// The file does not exist (callers where absence is an answer test for this).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io(error) if error.kind() == io::ErrorKind::NotFound)
    }
}

/// The whole file, at most `max` bytes.
pub fn read(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let file = open(path)?;
    if file.metadata()?.len() > max {
        return Err(ReadError::TooLarge { max });
    }
    read_stream(file, max)
}

/// The whole file as UTF-8 text, at most `max` bytes.
pub fn read_to_string(path: &Path, max: u64) -> Result<String, ReadError> {
    String::from_utf8(read(path, max)?).map_err(|_| ReadError::NotUtf8)
}

/// At most `max` bytes of a stream (standard input); more is [`ReadError::TooLarge`].
pub fn read_stream(reader: impl Read, max: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    // One byte past the cap tells "exactly max" from "more than max" (a file that grew,
    // or one whose size the kernel reports as 0, like those under /proc).
    reader.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge { max });
    }
    Ok(bytes)
}

/// Opens `path` for reading if it is a regular file (symlinks followed). The open itself does
/// not block on a FIFO with no writer, and a terminal does not become the controlling one.
pub fn open(path: &Path) -> Result<File, ReadError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags((nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_NOCTTY).bits())
        .open(path)?;
    let kind = file.metadata()?.file_type();
    let what = if kind.is_file() {
        return Ok(file);
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a file"
    };
    Err(ReadError::NotRegular(what))
}

/// `64 MiB`, `512 KiB`, `100 bytes`.
pub fn size_text(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// The OS's reason without Rust's `(os error N)` suffix, lower-cased as the rest of a message.
fn io_reason(error: &io::Error) -> String {
    let text = error.to_string();
    let text = match text.find(" (os error") {
        Some(at) => &text[..at],
        None => &text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_refused_at_once_not_waited_on() {
        let directory = tempfile::tempdir().unwrap();
        let fifo = directory.path().join("manifest.yaml");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let error = read(&fifo, 1024).unwrap_err();
        assert_eq!(
            error.to_string(),
            "is a FIFO (named pipe), not a regular file"
        );
    }

    #[test]
    fn endless_devices_and_directories_are_refused() {
        let error = read(Path::new("/dev/zero"), 1024).unwrap_err();
        assert_eq!(
            error.to_string(),
            "is a character device, not a regular file"
        );
        let error = read(Path::new("/"), 1024).unwrap_err();
        assert!(matches!(error, ReadError::NotRegular("a directory")));
    }

    #[test]
    fn the_cap_is_exact_and_named() {
        let directory = tempfile::tempdir().unwrap();
        let file = directory.path().join("f");
        std::fs::write(&file, vec![b'x'; 2048]).unwrap();
        assert_eq!(read(&file, 2048).unwrap().len(), 2048);
        let error = read(&file, 2047).unwrap_err();
        assert_eq!(
            error.to_string(),
            "is larger than 2047 bytes; not a file this reads"
        );
        assert_eq!(
            ReadError::TooLarge {
                max: 16 * 1024 * 1024
            }
            .to_string(),
            "is larger than 16 MiB; not a file this reads"
        );
        // Files the kernel sizes as 0 are still read, up to the cap.
        assert!(
            !read(Path::new("/proc/self/status"), 1 << 20)
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            read_stream(&b"abc"[..], 2),
            Err(ReadError::TooLarge { max: 2 })
        ));
    }

    #[test]
    fn a_missing_file_says_so_without_the_os_error_number() {
        let error = read(Path::new("/nonexistent/x"), 10).unwrap_err();
        assert!(error.is_not_found());
        assert_eq!(error.to_string(), "no such file or directory");
        let error = read_to_string(Path::new("/proc/self/exe"), 1 << 30).unwrap_err();
        assert!(matches!(error, ReadError::NotUtf8), "{error}");
    }
}
