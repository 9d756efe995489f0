//! An ISO image is downloaded from wherever the user points: its volume descriptors and
//! directory records are hostile bytes, read into a registration config or an error.
//!
//! The reader runs hadris-iso under `catch_unwind` (a panic in it is an unreadable image, exit
//! 2), so a panic caught there is not a crash here; libfuzzer-sys's hook would abort on it, so
//! the hook only records the message and a panic that escapes the reader aborts with it.
#![no_main]

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

thread_local! {
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

/// One scratch file for the whole run: the reader opens a path, as the controller does.
fn scratch() -> Option<&'static PathBuf> {
    static SCRATCH: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
    SCRATCH
        .get_or_init(|| {
            let dir = tempfile::tempdir().ok()?;
            let path = dir.path().join("image.iso");
            Some((dir, path))
        })
        .as_ref()
        .map(|(_, path)| path)
}

fuzz_target!(
    init: {
        panic::set_hook(Box::new(|info| {
            LAST_PANIC.with(|last| *last.borrow_mut() = info.to_string());
        }));
    },
    |data: &[u8]| {
        let Some(path) = scratch() else { return };
        if std::fs::write(path, data).is_err() {
            return;
        }
        let read = panic::catch_unwind(AssertUnwindSafe(|| {
            ironprep::iso::read_image_config(path)
        }));
        if read.is_err() {
            LAST_PANIC.with(|last| eprintln!("panic outside the ISO 9660 reader: {}", last.borrow()));
            std::process::abort();
        }
    }
);
