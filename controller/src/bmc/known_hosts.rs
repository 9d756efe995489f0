//! `bmc_known_hosts`: the BMC certificates a person has accepted, pinned like SSH host keys.
//! BMCs almost always serve a self-signed certificate that no CA vouches for; pinning the
//! SHA-256 of its public key (SPKI) on first use, and refusing a changed one, gives the same
//! protection ssh's known_hosts gives: the password is only ever sent to the BMC seen before.
//!
//! One line per BMC: `HOST:PORT SHA256:BASE64` (the fingerprint as `ssh-keygen -l` prints
//! one), `#` comments. Learned pins are written at the end of a run, all at once, by renaming
//! a complete file over the old one.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

/// What `--bmc-host-key-policy` allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum HostKeyPolicy {
    /// Only BMCs already in the file are trusted.
    Strict,
    /// A BMC not in the file is trusted and added; a changed key is still refused.
    AcceptNew,
}

#[derive(Debug, thiserror::Error)]
pub enum KnownHostsError {
    #[error("{file}:{line}: {problem}")]
    Malformed {
        file: String,
        line: usize,
        problem: String,
    },
    #[error("cannot read {file}: {source}")]
    Read {
        file: String,
        source: ironprep_input::ReadError,
    },
    #[error("cannot write {file}: {source}")]
    Write {
        file: String,
        source: std::io::Error,
    },
}

/// The verdict on a presented key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Known,
    /// Not in the file; with accept-new it was learned (and is trusted from now on).
    Learned,
    Unknown,
    /// The file pins another key for this BMC.
    Changed {
        pinned: String,
    },
}

#[derive(Debug)]
pub struct KnownHosts {
    file: PathBuf,
    policy: HostKeyPolicy,
    pins: BTreeMap<String, String>,
    /// Pins learned during this run, written by [`KnownHosts::save`].
    learned: Mutex<BTreeMap<String, String>>,
}

/// The largest pin file read: one line per BMC.
const MAX_PIN_FILE_BYTES: u64 = 16 * 1024 * 1024;

impl KnownHosts {
    /// Reads the file; a missing file is an empty one (it is created when a pin is learned).
    pub fn load(file: &Path, policy: HostKeyPolicy) -> Result<KnownHosts, KnownHostsError> {
        let name = file.display().to_string();
        let text = match ironprep_input::read_to_string(file, MAX_PIN_FILE_BYTES) {
            Ok(text) => text,
            Err(error) if error.is_not_found() => String::new(),
            Err(source) => return Err(KnownHostsError::Read { file: name, source }),
        };
        let pins = parse(&name, &text)?;
        Ok(KnownHosts {
            file: file.to_owned(),
            policy,
            pins,
            learned: Mutex::new(BTreeMap::new()),
        })
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Judges `fingerprint` for `host` (`HOST:PORT`), learning it when the policy allows.
    pub fn verify(&self, host: &str, fingerprint: &str) -> Verdict {
        if let Some(pinned) = self.pins.get(host) {
            return if pinned == fingerprint {
                Verdict::Known
            } else {
                Verdict::Changed {
                    pinned: pinned.clone(),
                }
            };
        }
        // A poisoned lock only means another host's task panicked; its map is still whole.
        let mut learned = self
            .learned
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match learned.get(host) {
            Some(known) if known == fingerprint => Verdict::Known,
            Some(known) => Verdict::Changed {
                pinned: known.clone(),
            },
            None if self.policy == HostKeyPolicy::AcceptNew => {
                learned.insert(host.to_owned(), fingerprint.to_owned());
                Verdict::Learned
            }
            None => Verdict::Unknown,
        }
    }

    /// The pins learned in this run, as `(host, fingerprint)`.
    pub fn learned(&self) -> Vec<(String, String)> {
        self.learned
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .map(|(host, fingerprint)| (host.clone(), fingerprint.clone()))
            .collect()
    }

    /// Adds the learned pins to the file: the file is read again (another run may have
    /// written it meanwhile), the new lines appended, and the whole written beside it and
    /// renamed over it, so a reader never sees half a file.
    pub fn save(&self) -> Result<usize, KnownHostsError> {
        let learned = self.learned();
        if learned.is_empty() {
            return Ok(0);
        }
        let name = self.file.display().to_string();
        let write_error = |source| KnownHostsError::Write {
            file: name.clone(),
            source,
        };
        let mut text = match ironprep_input::read_to_string(&self.file, MAX_PIN_FILE_BYTES) {
            Ok(text) => text,
            Err(error) if error.is_not_found() => String::new(),
            Err(source) => return Err(KnownHostsError::Read { file: name, source }),
        };
        let current = parse(&name, &text)?;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        let mut added = 0;
        for (host, fingerprint) in &learned {
            if !current.contains_key(host) {
                text.push_str(&format!("{host} {fingerprint}\n"));
                added += 1;
            }
        }
        let directory = match self.file.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&directory).map_err(write_error)?;
        let mut staged = tempfile::NamedTempFile::new_in(&directory).map_err(write_error)?;
        staged.write_all(text.as_bytes()).map_err(write_error)?;
        staged.as_file().sync_all().map_err(write_error)?;
        staged
            .persist(&self.file)
            .map_err(|error| write_error(error.error))?;
        Ok(added)
    }
}

fn parse(file: &str, text: &str) -> Result<BTreeMap<String, String>, KnownHostsError> {
    let mut pins = BTreeMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let malformed = |problem: String| KnownHostsError::Malformed {
            file: file.to_owned(),
            line: index + 1,
            problem,
        };
        let mut fields = line.split_whitespace();
        let (Some(host), Some(fingerprint), None) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(malformed(format!(
                "expected 'HOST:PORT SHA256:BASE64', found '{line}'"
            )));
        };
        if !is_fingerprint(fingerprint) {
            return Err(malformed(format!(
                "'{fingerprint}' is not a SHA256:BASE64 fingerprint"
            )));
        }
        if !host.contains(':') {
            return Err(malformed(format!("'{host}' has no :PORT")));
        }
        if let Some(previous) = pins.insert(host.to_owned(), fingerprint.to_owned())
            && previous != fingerprint
        {
            return Err(malformed(format!(
                "{host} is pinned twice, to different keys"
            )));
        }
    }
    Ok(pins)
}

fn is_fingerprint(text: &str) -> bool {
    text.strip_prefix("SHA256:").is_some_and(|encoded| {
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(encoded)
            .is_ok_and(|digest| digest.len() == 32)
    })
}

/// A BMC presented bytes that are not an X.509 certificate (x509-parser says where).
#[derive(Debug, thiserror::Error)]
#[error("malformed certificate: {0}")]
pub struct MalformedCertificate(String);

/// `SHA256:BASE64` of a certificate's SubjectPublicKeyInfo: what is pinned, so that a BMC that
/// renews its certificate with the same key stays trusted.
pub fn spki_fingerprint(certificate_der: &[u8]) -> Result<String, MalformedCertificate> {
    let (_, certificate) = x509_parser::parse_x509_certificate(certificate_der)
        .map_err(|error| MalformedCertificate(error.to_string()))?;
    let digest = Sha256::digest(certificate.tbs_certificate.subject_pki.raw);
    Ok(format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIN_A: &str = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
    const PIN_B: &str = "SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0";

    fn file_with(text: &str) -> (tempfile::TempDir, PathBuf) {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("bmc_known_hosts");
        std::fs::write(&path, text).unwrap();
        (directory, path)
    }

    #[test]
    fn known_unknown_and_changed() {
        let (_directory, path) = file_with(&format!("# BMCs\n10.0.0.21:443 {PIN_A}\n"));
        let hosts = KnownHosts::load(&path, HostKeyPolicy::Strict).unwrap();
        assert_eq!(hosts.verify("10.0.0.21:443", PIN_A), Verdict::Known);
        assert_eq!(
            hosts.verify("10.0.0.21:443", PIN_B),
            Verdict::Changed {
                pinned: PIN_A.to_owned()
            }
        );
        assert_eq!(hosts.verify("10.0.0.22:443", PIN_A), Verdict::Unknown);
        assert_eq!(hosts.save().unwrap(), 0);
    }

    #[test]
    fn accept_new_learns_once_and_writes_the_whole_file() {
        let (directory, path) = file_with(&format!("10.0.0.21:443 {PIN_A}"));
        let hosts = KnownHosts::load(&path, HostKeyPolicy::AcceptNew).unwrap();
        assert_eq!(hosts.verify("[fd00::5]:8443", PIN_B), Verdict::Learned);
        assert_eq!(hosts.verify("[fd00::5]:8443", PIN_B), Verdict::Known);
        assert_eq!(
            hosts.verify("[fd00::5]:8443", PIN_A),
            Verdict::Changed {
                pinned: PIN_B.to_owned()
            }
        );
        assert_eq!(hosts.save().unwrap(), 1);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            format!("10.0.0.21:443 {PIN_A}\n[fd00::5]:8443 {PIN_B}\n")
        );
        let entries = std::fs::read_dir(directory.path()).unwrap().count();
        assert_eq!(entries, 1, "no staging file left behind");
        let again = KnownHosts::load(&path, HostKeyPolicy::Strict).unwrap();
        assert_eq!(again.verify("[fd00::5]:8443", PIN_B), Verdict::Known);
    }

    #[test]
    fn a_missing_file_is_empty_and_created_on_learning() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("sub/bmc_known_hosts");
        let hosts = KnownHosts::load(&path, HostKeyPolicy::AcceptNew).unwrap();
        assert_eq!(hosts.verify("bmc-1.example:443", PIN_A), Verdict::Learned);
        hosts.save().unwrap();
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("bmc-1.example:443")
        );
    }

    #[test]
    fn malformed_lines_name_the_file_and_line() {
        for (text, line, problem) in [
            ("10.0.0.21:443\n", 2, "expected 'HOST:PORT SHA256:BASE64'"),
            (
                "10.0.0.21:443 SHA1:abc\n",
                2,
                "is not a SHA256:BASE64 fingerprint",
            ),
            (&format!("10.0.0.21 {PIN_A}\n") as &str, 2, "has no :PORT"),
            (
                &format!("h:1 {PIN_A}\nh:1 {PIN_B}\n") as &str,
                3,
                "pinned twice",
            ),
        ] {
            let (_directory, path) = file_with(&format!("# header\n{text}"));
            let error = KnownHosts::load(&path, HostKeyPolicy::Strict)
                .unwrap_err()
                .to_string();
            assert!(
                error.starts_with(&format!("{}:{line}: ", path.display())),
                "{error}"
            );
            assert!(error.contains(problem), "{error}");
        }
    }

    #[test]
    fn fingerprints_are_of_the_public_key() {
        let key = rcgen_free_certificate();
        let fingerprint = spki_fingerprint(&key).unwrap();
        assert!(is_fingerprint(&fingerprint), "{fingerprint}");
        assert!(spki_fingerprint(b"not a certificate").is_err());
    }

    /// A certificate from the certs crate's committed test PKI, so this test needs no
    /// generator.
    fn rcgen_free_certificate() -> Vec<u8> {
        let pem = include_str!("../../../certs/tests/pki/ca.crt");
        let facts =
            ironprep_certs::material::certificates(Path::new("ca.crt"), pem.as_bytes()).unwrap();
        facts[0].der.to_vec()
    }
}
