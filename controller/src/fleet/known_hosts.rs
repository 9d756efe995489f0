//! Host-key verification against OpenSSH known_hosts files. russh's helper reads one file,
//! matches names exactly and treats a key of another type as "unknown"; people's files have
//! hashed names, `[host]:port`, wildcards, negations, `@revoked`, and a global file beside the
//! user's. This module does what OpenSSH does for those, and tells which algorithms to offer
//! so a host known only by its ECDSA key is still verified.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use russh::keys::{Algorithm, HashAlg, PublicKey};
use sha1::Sha1;

/// What known_hosts says about the key a host presented.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A line for this host lists exactly this key.
    Known,
    /// No line names this host.
    Unknown,
    /// Lines name this host, but with other keys: a changed key, or a man in the middle.
    Changed { file: PathBuf, line: usize },
    /// The key is marked `@revoked`.
    Revoked { file: PathBuf, line: usize },
    /// accept-new learned another key for this name earlier in this run (two inventory
    /// names for one host:port that answered with different keys).
    ChangedInRun { first: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Patterns {
    List(Vec<String>),
    Hashed { salt: Vec<u8>, hash: Vec<u8> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Marker {
    None,
    Revoked,
    /// `@cert-authority` lines: host certificates are not offered, so they never apply.
    CertAuthority,
}

#[derive(Clone, Debug)]
struct Entry {
    marker: Marker,
    patterns: Patterns,
    key: PublicKey,
    file: PathBuf,
    line: usize,
}

#[derive(Debug, Default)]
pub struct KnownHosts {
    entries: Vec<Entry>,
    /// Where accept-new appends: the first file given (the user's).
    learn_file: Option<PathBuf>,
    /// What accept-new learned in this run, per known_hosts name (`host` or `[host]:port`):
    /// a second key for one name in one run is a changed key, not a second thing to learn.
    learned: Mutex<BTreeMap<String, PublicKey>>,
}

/// Why accept-new could not record a key.
#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    #[error("no known_hosts file to add the key to")]
    NoFile,
    #[error("cannot encode the host key: {0}")]
    Encode(String),
    /// Another connection to the same name learned a different key earlier in this run.
    #[error(
        "{name} presented another key earlier in this run ({first}); two different keys for \
         one host is a changed key — nothing was learned"
    )]
    Conflict { name: String, first: String },
    #[error("cannot create {path}: {source}")]
    CreateDirectory {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Why the known_hosts files could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {source}", path = path.display())]
pub struct LoadError {
    pub path: PathBuf,
    pub source: ironprep_input::ReadError,
}

/// The largest known_hosts file read (a FIFO or `/dev/zero` given by mistake never ends).
const MAX_KNOWN_HOSTS_BYTES: u64 = 64 * 1024 * 1024;

/// The name known_hosts uses for a host: `host` on port 22, `[host]:port` otherwise.
pub fn host_name(address: &str, port: u16) -> String {
    if port == 22 {
        address.to_owned()
    } else {
        format!("[{address}]:{port}")
    }
}

impl KnownHosts {
    /// Reads the files that exist; a file that exists but cannot be read is an error (a
    /// silent skip would turn strict checking into "unknown host" everywhere).
    pub fn load(files: &[PathBuf]) -> Result<KnownHosts, LoadError> {
        let mut known = KnownHosts {
            learn_file: files.first().cloned(),
            ..KnownHosts::default()
        };
        for file in files {
            let text = match ironprep_input::read_to_string(file, MAX_KNOWN_HOSTS_BYTES) {
                Ok(text) => text,
                Err(error) if error.is_not_found() => continue,
                Err(source) => {
                    return Err(LoadError {
                        path: file.clone(),
                        source,
                    });
                }
            };
            known.add_text(file, &text);
        }
        Ok(known)
    }

    /// Lines it cannot parse are skipped, as OpenSSH does.
    fn add_text(&mut self, file: &Path, text: &str) {
        for (index, line) in text.lines().enumerate() {
            if let Some(entry) = parse_line(line) {
                let (marker, patterns, key) = entry;
                self.entries.push(Entry {
                    marker,
                    patterns,
                    key,
                    file: file.to_owned(),
                    line: index + 1,
                });
            }
        }
    }

    fn matching<'a>(&'a self, names: &'a [String]) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries
            .iter()
            .filter(move |entry| names.iter().any(|name| entry.patterns.matches(name)))
    }

    /// `names` are the names this host may be listed under (`[addr]:port`, the inventory
    /// name), as an alias.
    pub fn verify(&self, names: &[String], key: &PublicKey) -> Verdict {
        let mut changed = None;
        let mut known = false;
        for entry in self.matching(names) {
            let same = entry.key.key_data() == key.key_data();
            match entry.marker {
                Marker::Revoked if same => {
                    return Verdict::Revoked {
                        file: entry.file.clone(),
                        line: entry.line,
                    };
                }
                Marker::Revoked | Marker::CertAuthority => {}
                Marker::None if same => known = true,
                Marker::None => {
                    changed.get_or_insert((entry.file.clone(), entry.line));
                }
            }
        }
        if !known && changed.is_none() {
            let learned = self
                .learned
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(first) = names.iter().find_map(|name| learned.get(name)) {
                if first.key_data() == key.key_data() {
                    return Verdict::Known;
                }
                return Verdict::ChangedInRun {
                    first: first.fingerprint(HashAlg::Sha256).to_string(),
                };
            }
        }
        match (known, changed) {
            (true, _) => Verdict::Known,
            (false, Some((file, line))) => Verdict::Changed { file, line },
            (false, None) => Verdict::Unknown,
        }
    }

    /// The host-key algorithms to offer: those of the keys known for this host, so the server
    /// presents a key that can be verified; `None` when nothing is known (offer the defaults).
    pub fn algorithms(&self, names: &[String]) -> Option<Vec<Algorithm>> {
        let mut algorithms = Vec::new();
        for entry in self
            .matching(names)
            .filter(|entry| entry.marker == Marker::None)
        {
            let found = match entry.key.algorithm() {
                Algorithm::Rsa { .. } => vec![
                    Algorithm::Rsa {
                        hash: Some(HashAlg::Sha512),
                    },
                    Algorithm::Rsa {
                        hash: Some(HashAlg::Sha256),
                    },
                    Algorithm::Rsa { hash: None },
                ],
                other => vec![other],
            };
            for algorithm in found {
                if !algorithms.contains(&algorithm) {
                    algorithms.push(algorithm);
                }
            }
        }
        (!algorithms.is_empty()).then_some(algorithms)
    }

    /// accept-new: appends `name key` to the user's file (created 0600 when missing, its
    /// missing directories 0700 as OpenSSH makes `~/.ssh`). A name is learned once per run: the
    /// same key again is known, a different one is a [`LearnError::Conflict`].
    pub fn learn(&self, name: &str, key: &PublicKey) -> Result<(), LearnError> {
        let Some(file) = &self.learn_file else {
            return Err(LearnError::NoFile);
        };
        // Held across the write, so that two connections to one host cannot both learn.
        let mut learned = self
            .learned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(first) = learned.get(name) {
            if first.key_data() == key.key_data() {
                return Ok(());
            }
            return Err(LearnError::Conflict {
                name: name.to_owned(),
                first: first.fingerprint(HashAlg::Sha256).to_string(),
            });
        }
        let key_text = key
            .to_openssh()
            .map_err(|error| LearnError::Encode(error.to_string()))?;
        let key_text = key_text.split(' ').take(2).collect::<Vec<_>>().join(" ");
        if let Some(parent) = file
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty() && !parent.exists())
        {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
                .create(parent)
                .map_err(|source| LearnError::CreateDirectory {
                    path: parent.to_owned(),
                    source,
                })?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let write_error = |source| LearnError::Write {
            path: file.clone(),
            source,
        };
        let mut handle = options.open(file).map_err(write_error)?;
        // One write per line: appends from concurrent hosts never interleave within a line.
        handle
            .write_all(format!("{name} {key_text}\n").as_bytes())
            .map_err(write_error)?;
        learned.insert(name.to_owned(), key.clone());
        Ok(())
    }
}

fn parse_line(line: &str) -> Option<(Marker, Patterns, PublicKey)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let mut fields = line.split_whitespace();
    let mut first = fields.next()?;
    let marker = match first {
        "@revoked" => Marker::Revoked,
        "@cert-authority" => Marker::CertAuthority,
        _ => Marker::None,
    };
    if marker != Marker::None {
        first = fields.next()?;
    }
    let patterns = if let Some(hashed) = first.strip_prefix("|1|") {
        let (salt, hash) = hashed.split_once('|')?;
        let engine = base64::engine::general_purpose::STANDARD;
        Patterns::Hashed {
            salt: engine.decode(salt).ok()?,
            hash: engine.decode(hash).ok()?,
        }
    } else {
        Patterns::List(first.split(',').map(str::to_owned).collect())
    };
    let kind = fields.next()?;
    let data = fields.next()?;
    let key = PublicKey::from_openssh(&format!("{kind} {data}")).ok()?;
    Some((marker, patterns, key))
}

impl Patterns {
    /// OpenSSH semantics: any negated pattern that matches vetoes the line.
    fn matches(&self, name: &str) -> bool {
        match self {
            Patterns::Hashed { salt, hash } => Hmac::<Sha1>::new_from_slice(salt)
                .map(|mac| mac.chain_update(name.as_bytes()).verify_slice(hash).is_ok())
                .unwrap_or(false),
            Patterns::List(patterns) => {
                let name = name.to_ascii_lowercase();
                let mut positive = false;
                for pattern in patterns {
                    let pattern = pattern.to_ascii_lowercase();
                    if let Some(negated) = pattern.strip_prefix('!') {
                        if wildcard(negated.as_bytes(), name.as_bytes()) {
                            return false;
                        }
                    } else if wildcard(pattern.as_bytes(), name.as_bytes()) {
                        positive = true;
                    }
                }
                positive
            }
        }
    }
}

/// `*` any run, `?` one character. Greedy with one backtrack point (the last `*`), so a
/// pattern of many stars costs at most pattern × text steps — the recursive form was
/// exponential (24 `*` and an `x` hung every run).
pub(super) fn wildcard(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                // Let the last star swallow one more character and retry from there.
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED25519: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKb/sAeEj6DRXWjdQleOzj9jtMg06Gi97XUBQdD56IPb";
    const ED25519_OTHER: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJK1NMSZAsMfY8bWyoox/HbcEd/jMshmAFwRuo7ptSje";
    const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABB\
BCZd0jI0qNsStuaDnufcjn5dpfBQlUFiE1OI8qDy8A1HlU7l1KUJCuY7eBa70y6zSSi024P6wc+Xxm+9FJgJP40=";

    fn key(text: &str) -> PublicKey {
        PublicKey::from_openssh(text).unwrap()
    }

    fn known(text: &str) -> KnownHosts {
        let mut known = KnownHosts::default();
        known.add_text(Path::new("kh"), text);
        known
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn plain_wildcard_negation_and_port() {
        let file = known(&format!(
            "# comment\n10.0.0.1,node1 {ED25519}\n[10.0.0.2]:2222 {ED25519}\n\
             10.0.1.* ,!10.0.1.9 {ED25519}\n10.0.1.*,!10.0.1.9 {ED25519}\n"
        ));
        assert_eq!(
            file.verify(&names(&["10.0.0.1"]), &key(ED25519)),
            Verdict::Known
        );
        assert_eq!(
            file.verify(&names(&["node1"]), &key(ED25519)),
            Verdict::Known
        );
        assert_eq!(
            file.verify(&names(&["[10.0.0.2]:2222"]), &key(ED25519)),
            Verdict::Known
        );
        assert_eq!(
            file.verify(&names(&["10.0.0.2"]), &key(ED25519)),
            Verdict::Unknown
        );
        assert_eq!(
            file.verify(&names(&["10.0.1.7"]), &key(ED25519)),
            Verdict::Known
        );
        assert_eq!(
            file.verify(&names(&["10.0.1.9"]), &key(ED25519)),
            Verdict::Unknown
        );
        assert_eq!(
            file.verify(&names(&["10.0.0.1"]), &key(ED25519_OTHER)),
            Verdict::Changed {
                file: PathBuf::from("kh"),
                line: 2
            }
        );
    }

    #[test]
    fn hashed_names() {
        // `ssh-keygen -H` of "10.0.0.5": HMAC-SHA1 keyed with the salt.
        let salt = [7u8; 20];
        let mac = Hmac::<Sha1>::new_from_slice(&salt)
            .unwrap()
            .chain_update(b"10.0.0.5")
            .finalize()
            .into_bytes();
        let engine = base64::engine::general_purpose::STANDARD;
        let line = format!(
            "|1|{}|{} {ED25519}",
            engine.encode(salt),
            engine.encode(mac)
        );
        let file = known(&line);
        assert_eq!(
            file.verify(&names(&["10.0.0.5"]), &key(ED25519)),
            Verdict::Known
        );
        assert_eq!(
            file.verify(&names(&["10.0.0.6"]), &key(ED25519)),
            Verdict::Unknown
        );
    }

    #[test]
    fn revoked_and_algorithms_known_per_host() {
        let file = known(&format!("@revoked * {ED25519_OTHER}\nhost-e {ECDSA}\n"));
        assert!(matches!(
            file.verify(&names(&["any"]), &key(ED25519_OTHER)),
            Verdict::Revoked { .. }
        ));
        assert_eq!(
            file.algorithms(&names(&["host-e"])),
            Some(vec![Algorithm::Ecdsa {
                curve: russh::keys::EcdsaCurve::NistP256
            }])
        );
        assert_eq!(file.algorithms(&names(&["other"])), None);
        assert_eq!(host_name("10.0.0.1", 22), "10.0.0.1");
        assert_eq!(host_name("10.0.0.1", 2222), "[10.0.0.1]:2222");
    }

    #[test]
    fn many_stars_match_in_linear_time() {
        // The review's line: 24 `*` then `x`, against a long name that does not end in x.
        let pattern = format!("{}x", "*".repeat(24));
        let file = known(&format!("{pattern} {ED25519}\n"));
        let name = "a".repeat(200);
        assert_eq!(
            file.verify(&names(&[&name]), &key(ED25519)),
            Verdict::Unknown
        );
        assert_eq!(
            file.verify(&names(&[&format!("{name}x")]), &key(ED25519)),
            Verdict::Known
        );
        assert!(wildcard(b"*.example.*", b"node1.example.com"));
        assert!(wildcard(b"node?", b"node7"));
        assert!(!wildcard(b"node?", b"node"));
        assert!(wildcard(b"a*b*c", b"aXXbYYc"));
        assert!(!wildcard(b"a*b*c", b"aXXbYY"));
        assert!(wildcard(b"**", b""));
    }

    #[test]
    fn accept_new_learns_a_name_once_and_a_second_key_is_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        let file = KnownHosts::load(std::slice::from_ref(&path)).unwrap();
        let name = "[10.9.9.9]:2222";
        file.learn(name, &key(ED25519)).unwrap();
        // The same host again (a second inventory name for it): known, not written twice.
        assert_eq!(file.verify(&names(&[name]), &key(ED25519)), Verdict::Known);
        file.learn(name, &key(ED25519)).unwrap();
        // Another key for the same host:port in the same run is a changed key.
        assert!(matches!(
            file.verify(&names(&[name]), &key(ED25519_OTHER)),
            Verdict::ChangedInRun { .. }
        ));
        assert!(matches!(
            file.learn(name, &key(ED25519_OTHER)),
            Err(LearnError::Conflict { .. })
        ));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
    }

    #[cfg(unix)]
    #[test]
    fn accept_new_creates_missing_directories_private_like_openssh() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("home/.ssh/known_hosts");
        let file = KnownHosts::load(std::slice::from_ref(&path)).unwrap();
        // Under the usual umask 022 the old code made these 0755 (0777 under umask 000).
        file.learn("10.9.9.9", &key(ED25519)).unwrap();
        for directory in [dir.path().join("home"), dir.path().join("home/.ssh")] {
            let mode = std::fs::metadata(&directory).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", directory.display());
        }
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn learn_appends_a_line_that_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ssh/known_hosts");
        let file = KnownHosts::load(std::slice::from_ref(&path)).unwrap();
        file.learn("[10.9.9.9]:2222", &key(ED25519)).unwrap();
        let again = KnownHosts::load(&[path]).unwrap();
        assert_eq!(
            again.verify(&names(&["[10.9.9.9]:2222"]), &key(ED25519)),
            Verdict::Known
        );
    }
}
