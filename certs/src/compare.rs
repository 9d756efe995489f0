//! `ironprep certs compare`: whether the two sides of a DR pair hold the same key material
//! (sa.key, sa.pub, encryption-provider.conf, …), judged by SHA-256 as the seed's `sha256sum`
//! step does, so that secrets are never printed.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::material::{read, sha256_hex};

/// How one file compares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Same,
    Different,
    /// The private keys differ as bytes but hold the same key (PKCS#1 vs PKCS#8, line ends).
    SameKeyDifferentEncoding,
    OnlyInFirst,
    OnlyInSecond,
}

/// One compared file: its name and the SHA-256 of each side (absent when missing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    pub name: String,
    pub first: Option<String>,
    pub second: Option<String>,
    pub verdict: Verdict,
}

/// Compares two files, or every regular file of two directories (by name, not recursing).
pub fn compare(first: &Path, second: &Path) -> Result<Vec<Comparison>, Error> {
    match (first.is_dir(), second.is_dir()) {
        (true, true) => {
            let names: BTreeSet<String> = file_names(first)?
                .into_iter()
                .chain(file_names(second)?)
                .collect();
            names
                .into_iter()
                .map(|name| compare_files(&name, &first.join(&name), &second.join(&name)))
                .collect()
        }
        (false, false) => {
            let name = first.display().to_string();
            Ok(vec![compare_files(&name, first, second)?])
        }
        _ => Err(Error::Argument {
            argument: "comparison",
            value: format!("{} {}", first.display(), second.display()),
            problem: "give two files or two directories".to_owned(),
        }),
    }
}

fn compare_files(name: &str, first: &Path, second: &Path) -> Result<Comparison, Error> {
    let read_if_present = |path: &Path| -> Result<Option<Vec<u8>>, Error> {
        if path.exists() {
            read(path).map(Some)
        } else {
            Ok(None)
        }
    };
    let (first_bytes, second_bytes) = (read_if_present(first)?, read_if_present(second)?);
    let verdict = match (&first_bytes, &second_bytes) {
        (Some(a), Some(b)) if a == b => Verdict::Same,
        (Some(a), Some(b)) if same_private_key(a, b) => Verdict::SameKeyDifferentEncoding,
        (Some(_), Some(_)) => Verdict::Different,
        (Some(_), None) => Verdict::OnlyInFirst,
        (None, Some(_)) => Verdict::OnlyInSecond,
        (None, None) => {
            return Err(Error::Read {
                path: first.to_owned(),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            });
        }
    };
    Ok(Comparison {
        name: name.to_owned(),
        first: first_bytes.as_deref().map(sha256_hex),
        second: second_bytes.as_deref().map(sha256_hex),
        verdict,
    })
}

fn same_private_key(first: &[u8], second: &[u8]) -> bool {
    let key = |bytes: &[u8]| crate::material::private_key(Path::new(""), bytes).ok();
    match (key(first), key(second)) {
        (Some(a), Some(b)) => {
            rcgen::PublicKeyData::der_bytes(&a) == rcgen::PublicKeyData::der_bytes(&b)
        }
        _ => false,
    }
}

fn file_names(directory: &Path) -> Result<Vec<String>, Error> {
    let entries = fs::read_dir(directory).map_err(|source| Error::Read {
        path: directory.to_owned(),
        source,
    })?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::Read {
            path: PathBuf::from(directory),
            source,
        })?;
        if entry.file_type().is_ok_and(|kind| kind.is_file()) {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_compare_file_by_file() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        fs::write(a.path().join("sa.pub"), b"same").unwrap();
        fs::write(b.path().join("sa.pub"), b"same").unwrap();
        fs::write(a.path().join("enc.conf"), b"one").unwrap();
        fs::write(b.path().join("enc.conf"), b"two").unwrap();
        fs::write(a.path().join("only-a"), b"x").unwrap();
        let result = compare(a.path(), b.path()).unwrap();
        let verdicts: Vec<(&str, &Verdict)> = result
            .iter()
            .map(|c| (c.name.as_str(), &c.verdict))
            .collect();
        assert_eq!(
            verdicts,
            [
                ("enc.conf", &Verdict::Different),
                ("only-a", &Verdict::OnlyInFirst),
                ("sa.pub", &Verdict::Same)
            ]
        );
        assert_eq!(result[2].first.as_deref().map(str::len), Some(64));
        assert!(compare(a.path(), &a.path().join("sa.pub")).is_err());
    }
}
