//! The BMC password: from `IRONPREP_BMC_PASSWORD` or `--bmc-password-file`, never from a flag
//! (it would show in `ps` and shell history), and never printed: [`Password`] has no `Display`,
//! its `Debug` is redacted, and only the HTTP client reads it, to build the Authorization
//! header.

use std::fmt;
use std::path::Path;

/// The environment variable the password is read from when no file is given.
pub const PASSWORD_ENV: &str = "IRONPREP_BMC_PASSWORD";

/// A password file larger than this is not a password file.
const MAX_PASSWORD_FILE: u64 = 4096;

/// A BMC password. Deliberately not `Display` and not `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// The secret itself, for the Authorization header only.
    pub(super) fn expose(&self) -> &str {
        &self.0
    }

    #[cfg(test)]
    pub(super) fn for_tests(text: &str) -> Password {
        Password(text.to_owned())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("no BMC password: set {PASSWORD_ENV} or give --bmc-password-file FILE (never a flag)")]
    Missing,
    #[error("{file}: cannot read the BMC password file: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: {problem}")]
    Unusable { file: String, problem: &'static str },
    #[error("{PASSWORD_ENV} is set but empty")]
    EmptyEnv,
}

/// The password from the file when given, else from the environment. `warn` receives
/// warnings that name the file, never its contents.
pub fn password(
    file: Option<&Path>,
    environment: Option<String>,
    warn: &mut dyn FnMut(String),
) -> Result<Password, CredentialsError> {
    let Some(path) = file else {
        return match environment {
            Some(text) if text.is_empty() => Err(CredentialsError::EmptyEnv),
            Some(text) => Ok(Password(text)),
            None => Err(CredentialsError::Missing),
        };
    };
    let name = path.display().to_string();
    let metadata = std::fs::metadata(path).map_err(|source| CredentialsError::Read {
        file: name.clone(),
        source,
    })?;
    if !metadata.is_file() || metadata.len() > MAX_PASSWORD_FILE {
        return Err(CredentialsError::Unusable {
            file: name,
            problem: "not a password file (a regular file of at most 4 KiB, the password on \
                      its first line)",
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if metadata.permissions().mode() & 0o077 != 0 {
            warn(format!(
                "{name}: the BMC password file is readable by other users (chmod 600 {name})"
            ));
        }
    }
    // Regular files only, opened without blocking: a FIFO passes the metadata test above
    // as "not a file", but one swapped in after it must not hang the run either.
    let bytes = ironprep_input::read(path, MAX_PASSWORD_FILE).map_err(|error| match error {
        ironprep_input::ReadError::Io(source) => CredentialsError::Read {
            file: name.clone(),
            source,
        },
        _ => CredentialsError::Unusable {
            file: name.clone(),
            problem: "not a password file (a regular file of at most 4 KiB, the password on \
                      its first line)",
        },
    })?;
    let text = String::from_utf8(bytes).map_err(|_| CredentialsError::Unusable {
        file: name.clone(),
        problem: "the BMC password file is not UTF-8 text",
    })?;
    // The first line, so `echo secret > file` and editors' final newline both work.
    let first = text.lines().next().unwrap_or_default();
    if first.is_empty() {
        return Err(CredentialsError::Unusable {
            file: name,
            problem: "the BMC password file is empty",
        });
    }
    Ok(Password(first.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet() -> impl FnMut(String) {
        |_| {}
    }

    #[test]
    fn the_file_wins_over_the_environment_and_loses_its_newline() {
        let directory = tempfile::tempdir().unwrap();
        let file = directory.path().join("pw");
        std::fs::write(&file, "s3cret word\r\n").unwrap();
        let password = password(Some(&file), Some("from-env".to_owned()), &mut quiet()).unwrap();
        assert_eq!(password.expose(), "s3cret word");
        let from_env = super::password(None, Some("from-env".to_owned()), &mut quiet()).unwrap();
        assert_eq!(from_env.expose(), "from-env");
    }

    #[test]
    fn the_password_never_shows_in_debug_or_errors() {
        let password = Password::for_tests("hunter2");
        assert_eq!(format!("{password:?}"), "Password(<redacted>)");
        let directory = tempfile::tempdir().unwrap();
        let file = directory.path().join("pw");
        std::fs::write(&file, "\nhunter2\n").unwrap();
        let error = super::password(Some(&file), None, &mut quiet()).unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(
            error
                .to_string()
                .ends_with("the BMC password file is empty")
        );
    }

    #[test]
    fn missing_and_unusable_sources_are_named() {
        let error = password(None, None, &mut quiet()).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("no BMC password: set IRONPREP_BMC_PASSWORD")
        );
        assert!(matches!(
            password(None, Some(String::new()), &mut quiet()),
            Err(CredentialsError::EmptyEnv)
        ));
        let error = password(Some(Path::new("/nonexistent/pw")), None, &mut quiet()).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("/nonexistent/pw: cannot read")
        );
        let directory = tempfile::tempdir().unwrap();
        let error = password(Some(directory.path()), None, &mut quiet()).unwrap_err();
        assert!(error.to_string().contains("not a password file"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn a_readable_file_is_warned_about_by_name_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let directory = tempfile::tempdir().unwrap();
        let file = directory.path().join("pw");
        std::fs::write(&file, "hunter2\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut warnings = Vec::new();
        password(Some(&file), None, &mut |warning| warnings.push(warning)).unwrap();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("chmod 600") && !warnings[0].contains("hunter2"));
    }
}
