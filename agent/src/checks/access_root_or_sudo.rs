//! `access.root-or-sudo`: the installer logs in over SSH and must act as root without anyone
//! at a keyboard. The guide asks for both: the SSH user has root rights and can use sudo
//! without a password. A password prompt makes the installer hang or fail on that node, and a
//! node without sudo fails whatever runs `sudo` there.
//!
//! The agent is normally started by the controller as that SSH user, so the account it runs
//! as is the one that matters.

use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError, Query, QueryError, QueryOutput};

const EXPECTED: &str = "root rights and sudo without a password (root with sudo installed, or a \
                        user whose sudo needs no password)";

pub struct AccessRootOrSudo;

impl Check for AccessRootOrSudo {
    fn id(&self) -> &'static str {
        "access.root-or-sudo"
    }

    fn title(&self) -> &'static str {
        "the SSH user has root rights and passwordless sudo"
    }

    fn hint(&self) -> &'static str {
        "connect as root, or give the user passwordless sudo: `echo 'USER ALL=(ALL) NOPASSWD: ALL' \
         > /etc/sudoers.d/USER && chmod 0440 /etc/sudoers.d/USER && visudo -c`"
    }

    fn explain(&self) -> &'static str {
        "Seed 004: «SSH-пользователь узла должен иметь права root и возможность использовать \
         sudo без пароля» — root rights and passwordless sudo, both. Read literally and \
         verdict by verdict: root (uid 0, or the agent reached root through sudo) has the \
         rights, and sudo never asks root for a password, so root passes when sudo is \
         installed and fails without it (it cannot use sudo at all). A user who is not root \
         passes when `sudo -n true` succeeds: that is passwordless sudo, and sudo is how the \
         user has root rights. Anything that needs a password, or no sudo, fails. The agent \
         runs as the SSH user (the controller starts it over SSH), so its own account is the \
         one judged."
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let Some(live) = host.live_system() else {
            return Ok(Outcome::skip(
                "needs the running system (--root given): the question is who runs the agent",
            ));
        };
        let uid = live.effective_uid();
        if uid == 0 {
            // The environment of the agent's own process, not a host file: sudo sets SUDO_USER.
            let sudo_user = std::env::var("SUDO_USER").ok();
            let sudo_installed = host.find_executable("sudo")?.is_some();
            return Ok(judge_root(sudo_user.as_deref(), sudo_installed).into());
        }
        let user = live.user_name(host, uid).map_or_else(
            || format!("uid {uid}"),
            |name| format!("'{name}' (uid {uid})"),
        );
        Ok(judge_sudo(&user, host.query(Query::SudoWithoutPassword))?.into())
    }
}

fn judge_root(sudo_user: Option<&str>, sudo_installed: bool) -> Observation {
    let mut observed = match sudo_user.filter(|user| !user.is_empty() && *user != "root") {
        Some(user) => format!("running as root through sudo from '{user}'"),
        None => "running as root".to_owned(),
    };
    if !sudo_installed {
        observed.push_str("; sudo is not installed, so it cannot use sudo as the guide asks");
    }
    let observation = Observation::new(observed, EXPECTED).fail_if(!sudo_installed);
    if sudo_installed {
        observation
    } else {
        observation.with_hint(
            "RHEL/CentOS/Kylin: `yum install -y sudo`; Ubuntu: `apt-get install -y sudo`",
        )
    }
}

fn judge_sudo(
    user: &str,
    answer: Result<QueryOutput, QueryError>,
) -> Result<Observation, HostError> {
    let observed = match answer {
        Ok(output) if output.success() => {
            return Ok(Observation::new(
                format!("{user} can use sudo without a password"),
                EXPECTED,
            ));
        }
        Ok(output) => {
            let message = output
                .stderr
                .lines()
                .map(str::trim)
                .find(|line| !line.is_empty())
                .unwrap_or("no message")
                .to_owned();
            if message.contains("password is required") {
                // `sudo -n` reports this also for users sudoers does not list at all.
                format!("{user} is not root and sudo needs a password (or is not allowed)")
            } else {
                format!("{user} is not root and sudo -n fails: {message}")
            }
        }
        Err(QueryError::NotInstalled(_)) => format!("{user} is not root and sudo is not installed"),
        Err(QueryError::NotLive) => {
            return Err(HostError::new(
                Query::SudoWithoutPassword.command_line(),
                "needs the running system",
            ));
        }
        Err(QueryError::Failed { command, reason }) => {
            return Err(HostError::new(command, reason.to_string()));
        }
        Err(QueryError::Host(error)) => return Err(error),
    };
    Ok(Observation::new(observed, EXPECTED).fail_if(true))
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::check::Level;
    use crate::host::RunFailure;
    use crate::testing::{Tree, assert_status};

    fn output(exit_code: i32, stderr: &str) -> Result<QueryOutput, QueryError> {
        Ok(QueryOutput {
            exit_code: Some(exit_code),
            stdout: String::new(),
            stderr: stderr.to_owned(),
        })
    }

    #[test]
    fn root_passes_and_names_the_sudo_user() {
        let observation = judge_root(Some("alice"), true);
        assert_eq!(observation.level, Level::Ok);
        assert_eq!(
            observation.observed,
            "running as root through sudo from 'alice'"
        );
        assert_eq!(judge_root(None, true).observed, "running as root");
    }

    #[test]
    fn root_without_sudo_fails() {
        let observation = judge_root(None, false);
        assert_eq!(observation.level, Level::Fail);
        assert!(
            observation
                .observed
                .ends_with("sudo is not installed, so it cannot use sudo as the guide asks")
        );
    }

    #[test]
    fn passwordless_sudo_passes() {
        let observation = judge_sudo("'alice' (uid 1000)", output(0, "")).unwrap();
        assert_eq!(observation.level, Level::Ok);
        assert_eq!(
            observation.observed,
            "'alice' (uid 1000) can use sudo without a password"
        );
    }

    #[test]
    fn a_password_prompt_fails() {
        let observation = judge_sudo(
            "'alice' (uid 1000)",
            output(1, "sudo: a password is required\n"),
        )
        .unwrap();
        assert_eq!(observation.level, Level::Fail);
        assert_eq!(
            observation.observed,
            "'alice' (uid 1000) is not root and sudo needs a password (or is not allowed)"
        );
    }

    #[test]
    fn other_sudo_refusals_are_quoted() {
        let observation = judge_sudo(
            "uid 1001",
            output(
                1,
                "sudo: account validation failure, is your account locked?\n",
            ),
        )
        .unwrap();
        assert_eq!(observation.level, Level::Fail);
        assert!(
            observation
                .observed
                .ends_with("account validation failure, is your account locked?")
        );
    }

    #[test]
    fn missing_sudo_fails_and_a_hung_sudo_is_an_error() {
        let observation = judge_sudo("uid 1001", Err(QueryError::NotInstalled("sudo"))).unwrap();
        assert_eq!(observation.level, Level::Fail);
        assert_eq!(
            observation.observed,
            "uid 1001 is not root and sudo is not installed"
        );
        let error = judge_sudo(
            "uid 1001",
            Err(QueryError::Failed {
                command: "sudo -n true".to_owned(),
                reason: RunFailure::TimedOut(std::time::Duration::from_secs(10)),
            }),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "sudo -n true: did not finish within 10 s"
        );
    }

    #[test]
    fn under_a_root_it_is_skipped() {
        let result = Tree::new().status(&AccessRootOrSudo);
        assert_status(&result, Status::Skip);
        assert!(
            result
                .reason
                .as_deref()
                .is_some_and(|reason| reason.contains("--root"))
        );
    }

    #[test]
    fn on_this_machine_it_gives_an_answer() {
        let result = crate::runner::evaluate(&AccessRootOrSudo, &Host::live(), &Context::default());
        assert!(
            matches!(result.status, Status::Pass | Status::Warn | Status::Fail),
            "{result:?}"
        );
    }
}
