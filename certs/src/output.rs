//! Writing a set of files into a directory all at once: everything is written into a
//! temporary directory beside the target and renamed into place, so that a failure leaves
//! nothing partial behind, and an existing file is only replaced when asked.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::Error;

/// Staging directories in use by this process. A signal handler removes them
/// ([`remove_staging`]) while holding the lock, so a rename into place and the removal never
/// interleave: the output is whole or absent.
static STAGING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The marker in a staging directory's name, after the target's name and before our PID:
/// `.NAME.ironprep-PID-XXXXXX`.
const STAGING_MARK: &str = ".ironprep-";

/// Removes every staging directory of this process and keeps the lock, so nothing is renamed
/// into place afterwards: for a handler of SIGINT/SIGTERM that exits right after.
pub fn remove_staging() {
    let staging = STAGING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for path in staging.iter() {
        let _ = fs::remove_dir_all(path);
    }
    std::mem::forget(staging);
}

/// Removes staging directories a killed run left in `parent` (they may hold private keys):
/// ours by name (`.NAME.ironprep-PID-XXXXXX`), owned by `uid`, and whose PID no longer runs.
/// Another user's, a running process's, and anything else are left alone. Where there is no
/// `/proc` to tell a running PID, nothing is removed.
fn sweep_stale(parent: &Path, uid: u32) -> Vec<PathBuf> {
    use std::os::unix::fs::MetadataExt as _;
    let mut removed = Vec::new();
    if !Path::new("/proc/self").exists() {
        return removed;
    }
    let Ok(entries) = fs::read_dir(parent) else {
        return removed;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = staging_pid(&name) else {
            continue;
        };
        let ours = entry
            .path()
            .symlink_metadata()
            .is_ok_and(|meta| meta.is_dir() && meta.uid() == uid);
        if ours
            && pid != std::process::id()
            && !Path::new("/proc").join(pid.to_string()).exists()
            && fs::remove_dir_all(entry.path()).is_ok()
        {
            removed.push(entry.path());
        }
    }
    removed
}

/// The PID in a staging directory's name: `.NAME.ironprep-PID-XXXXXX` (six random characters).
fn staging_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (_, tail) = rest.rsplit_once(STAGING_MARK)?;
    let (pid, random) = tail.split_once('-')?;
    (random.len() == 6 && random.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| pid.parse().ok())
        .flatten()
}

/// Mode of private keys and of anything that holds one.
pub const SECRET_MODE: u32 = 0o600;
/// Mode of certificates and public keys.
pub const PUBLIC_MODE: u32 = 0o644;
/// Mode of a directory this module creates.
pub const DIRECTORY_MODE: u32 = 0o755;

/// One file to write.
#[derive(Clone)]
pub struct OutputFile {
    pub name: String,
    pub contents: Vec<u8>,
    pub mode: u32,
    /// What it is, for the summary printed to the user (never the contents).
    pub description: String,
}

impl std::fmt::Debug for OutputFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputFile")
            .field("name", &self.name)
            .field("mode", &format_args!("{:o}", self.mode))
            .finish_non_exhaustive()
    }
}

/// Where the files went.
#[derive(Clone, Debug)]
pub struct Written {
    pub directory: PathBuf,
    /// The directory was created by this write (else files were replaced or added in it).
    pub created: bool,
    /// Staging directories of earlier runs that were killed, removed before this write.
    pub removed_stale: Vec<PathBuf>,
}

/// Writes `files` into `directory`. Refuses to replace an existing file unless `force`.
///
/// When `directory` does not exist, the temporary directory is renamed to it, so the files
/// appear together or not at all. When it exists, each file is renamed into it (each rename is
/// atomic; the set is not, but every file is complete).
pub fn write_all(directory: &Path, files: &[OutputFile], force: bool) -> Result<Written, Error> {
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Write { path, source }
    };
    let exists = directory.exists();
    if exists && !directory.is_dir() {
        return Err(Error::Write {
            path: directory.to_owned(),
            source: std::io::Error::other("exists and is not a directory"),
        });
    }
    let clashes: Vec<&str> = files
        .iter()
        .filter(|file| directory.join(&file.name).exists())
        .map(|file| file.name.as_str())
        .collect();
    if !clashes.is_empty() && !force {
        return Err(Error::Exists {
            path: directory.to_owned(),
            files: clashes.join(", "),
        });
    }
    let parent = match directory.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(write_error(&parent))?;
    let base = directory
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".to_owned());
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{base}{STAGING_MARK}{}-", std::process::id()))
        .rand_bytes(6)
        .tempdir_in(&parent)
        .map_err(write_error(&parent))?;
    let staged_path = staging.path().to_owned();
    register(&staged_path);
    let result = write_staged(directory, files, exists, &parent, staging);
    unregister(&staged_path);
    result
}

fn register(path: &Path) {
    if let Ok(mut staging) = STAGING.lock() {
        staging.push(path.to_owned());
    }
}

fn unregister(path: &Path) {
    if let Ok(mut staging) = STAGING.lock() {
        staging.retain(|known| known != path);
    }
}

fn write_staged(
    directory: &Path,
    files: &[OutputFile],
    exists: bool,
    parent: &Path,
    staging: tempfile::TempDir,
) -> Result<Written, Error> {
    use std::os::unix::fs::MetadataExt as _;
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Write { path, source }
    };
    let uid = fs::metadata(staging.path())
        .map_err(write_error(staging.path()))?
        .uid();
    let removed_stale = sweep_stale(parent, uid);
    // A new directory is readable by all, like `mkdir`'s; the keys in it are 0600.
    fs::set_permissions(staging.path(), fs::Permissions::from_mode(DIRECTORY_MODE))
        .map_err(write_error(staging.path()))?;
    for file in files {
        let path = staging.path().join(&file.name);
        write_file(&path, &file.contents, file.mode).map_err(write_error(&path))?;
    }
    // Renames hold the registry's lock: a signal's removal comes before or after, not between.
    let guard = STAGING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if exists {
        for file in files {
            let target = directory.join(&file.name);
            fs::rename(staging.path().join(&file.name), &target).map_err(write_error(&target))?;
        }
        drop(guard);
        sync_directory(directory).map_err(write_error(directory))?;
    } else {
        let staged = staging.keep();
        if let Err(source) = fs::rename(&staged, directory) {
            let _ = fs::remove_dir_all(&staged);
            return Err(Error::Write {
                path: directory.to_owned(),
                source,
            });
        }
        drop(guard);
        sync_directory(parent).map_err(write_error(parent))?;
    }
    Ok(Written {
        directory: directory.to_owned(),
        created: !exists,
        removed_stale,
    })
}

fn write_file(path: &Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    // The umask may have taken bits away from `mode`; a key must end up exactly 0600.
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    file.write_all(contents)?;
    file.sync_all()
}

fn sync_directory(path: &Path) -> std::io::Result<()> {
    File::open(path)?.sync_all()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    fn files() -> Vec<OutputFile> {
        vec![
            OutputFile {
                name: "a.key".to_owned(),
                contents: b"secret".to_vec(),
                mode: SECRET_MODE,
                description: "key".to_owned(),
            },
            OutputFile {
                name: "a.crt".to_owned(),
                contents: b"public".to_vec(),
                mode: PUBLIC_MODE,
                description: "cert".to_owned(),
            },
        ]
    }

    #[test]
    fn a_new_directory_appears_with_modes_and_no_leftovers() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        let written = write_all(&out, &files(), false).unwrap();
        assert!(written.created);
        assert_eq!(
            fs::metadata(out.join("a.key")).unwrap().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(out.join("a.crt")).unwrap().mode() & 0o777,
            0o644
        );
        let entries: Vec<_> = fs::read_dir(root.path()).unwrap().collect();
        assert_eq!(entries.len(), 1, "no staging directory left behind");
    }

    #[test]
    fn existing_files_need_force() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        write_all(&out, &files(), false).unwrap();
        let error = write_all(&out, &files(), false).unwrap_err();
        assert!(error.to_string().ends_with("already holds a.key, a.crt"));
        let mut replaced = files();
        replaced[0].contents = b"new".to_vec();
        write_all(&out, &replaced, true).unwrap();
        assert_eq!(fs::read(out.join("a.key")).unwrap(), b"new");
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 1);
    }

    #[test]
    fn stale_staging_of_ours_is_removed_and_nothing_else() {
        let root = tempfile::tempdir().unwrap();
        // 999999999 is above any pid_max (no such process); PID 1 always runs.
        let stale = root.path().join(".out.ironprep-999999999-AbC123");
        let running = root.path().join(".out.ironprep-1-AbC123");
        let other = root.path().join(".out.ironprep-notes");
        for dir in [&stale, &running, &other] {
            fs::create_dir(dir).unwrap();
            fs::write(dir.join("ca.key"), b"k").unwrap();
        }
        let written = write_all(&root.path().join("out"), &files(), false).unwrap();
        assert_eq!(written.removed_stale, std::slice::from_ref(&stale));
        assert!(!stale.exists() && running.exists() && other.exists());
        assert_eq!(staging_pid(".a.b.ironprep-42-xYz123"), Some(42));
        assert_eq!(staging_pid(".a.ironprep-42-xYz12"), None);
    }

    #[test]
    fn a_file_in_the_way_is_an_error() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("file");
        fs::write(&out, b"x").unwrap();
        assert!(write_all(&out, &files(), false).is_err());
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 1);
    }
}
