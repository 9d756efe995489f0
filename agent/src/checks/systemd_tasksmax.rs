//! `systemd.tasksmax`: systemd caps the tasks (threads) of every unit at DefaultTasksMax. The
//! container runtime and kubelet run as units, so a busy node hits the cap and pods fail with
//! "fork: resource temporarily unavailable". The guide wants `infinity` or a very large value.

use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError, Query, QueryError};

/// At or above this many tasks the limit is "very large": no node runs that many threads.
const VERY_LARGE: u64 = 1_048_576;

const SYSTEM_CONF: &str = "/etc/systemd/system.conf";
const SYSTEM_CONF_D: &str = "/etc/systemd/system.conf.d";

pub struct SystemdTasksmax;

impl Check for SystemdTasksmax {
    fn id(&self) -> &'static str {
        "systemd.tasksmax"
    }

    fn title(&self) -> &'static str {
        "systemd DefaultTasksMax is infinity or very large"
    }

    fn hint(&self) -> &'static str {
        "set DefaultTasksMax=infinity under [Manager] in /etc/systemd/system.conf (and in no \
         /etc/systemd/system.conf.d/*.conf that overrides it), then `systemctl daemon-reexec`"
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        if !host.is_live() {
            return Ok(match configured(host)? {
                Some((value, location)) => judge(&value, &location, host)?.into(),
                None => Outcome::skip(format!(
                    "DefaultTasksMax is not set in {SYSTEM_CONF} or {SYSTEM_CONF_D}; its default \
                     depends on the systemd version and pid_max, so only the running system can \
                     tell (--root given)"
                )),
            });
        }
        let command = Query::SystemdDefaultTasksMax.command_line();
        let output = match host.query(Query::SystemdDefaultTasksMax) {
            Ok(output) => output,
            Err(QueryError::NotInstalled(_)) => {
                return Ok(Outcome::skip("systemd is not installed (no systemctl)"));
            }
            Err(QueryError::Failed { command, reason }) => {
                return Err(HostError::new(command, reason.to_string()));
            }
            Err(QueryError::Host(error)) => return Err(error),
            Err(QueryError::NotLive) => {
                return Err(HostError::new(command, "needs the running system"));
            }
        };
        if !output.success() {
            let message = output
                .stderr
                .lines()
                .map(str::trim)
                .find(|line| !line.is_empty())
                .unwrap_or("no message");
            return Ok(Outcome::skip(format!(
                "systemd is not running as init ({command}: {message})"
            )));
        }
        let Some(value) = output
            .stdout
            .lines()
            .find_map(|line| line.trim().strip_prefix("DefaultTasksMax="))
        else {
            // systemd before 228 has no task limits at all and prints nothing.
            return Ok(Observation::new(
                "no DefaultTasksMax (systemd older than 228 has no task limit)",
                "infinity or ≥ 1048576",
            )
            .into());
        };
        Ok(judge(value.trim(), &command, host)?.into())
    }
}

fn judge(value: &str, source: &str, host: &Host) -> Result<Observation, HostError> {
    let expected = "infinity or ≥ 1048576";
    let malformed = || HostError::new(source, format!("unexpected DefaultTasksMax '{value}'"));
    // systemd prints u64::MAX for "infinity" on older versions (CentOS 7's 219).
    if value == "infinity" || value == u64::MAX.to_string() {
        return Ok(Observation::new(
            format!("DefaultTasksMax=infinity ({source})"),
            expected,
        ));
    }
    if let Some(percent) = value.strip_suffix('%') {
        let percent: f64 = percent.trim().parse().map_err(|_| malformed())?;
        let (tasks, basis) = match system_tasks_max(host) {
            Some(limit) => (
                Some((limit as f64 * percent / 100.0) as u64),
                format!(" of {limit}"),
            ),
            None => (None, String::new()),
        };
        let computed = tasks.map_or_else(String::new, |tasks| format!(" ≈ {tasks} tasks"));
        let observed = format!("DefaultTasksMax={value}{basis}{computed} ({source})");
        // A percentage of the kernel's limit is "very large" only when it works out so.
        return Ok(Observation::new(observed, expected).fail_if(
            tasks.is_some_and(|tasks| tasks < VERY_LARGE) || (tasks.is_none() && percent < 100.0),
        ));
    }
    let tasks: u64 = value.parse().map_err(|_| malformed())?;
    let observed = if tasks >= VERY_LARGE {
        format!("DefaultTasksMax={tasks} (very large; {source})")
    } else {
        format!("DefaultTasksMax={tasks} ({source})")
    };
    Ok(Observation::new(observed, expected).fail_if(tasks < VERY_LARGE))
}

/// What systemd takes 100 % to be: the smaller of kernel.pid_max and kernel.threads-max.
fn system_tasks_max(host: &Host) -> Option<u64> {
    let read = |path: &str| -> Option<u64> { host.read_optional(path).ok()??.trim().parse().ok() };
    match (
        read("/proc/sys/kernel/pid_max"),
        read("/proc/sys/kernel/threads-max"),
    ) {
        (Some(pid_max), Some(threads_max)) => Some(pid_max.min(threads_max)),
        (Some(limit), None) | (None, Some(limit)) => Some(limit),
        (None, None) => None,
    }
}

/// The DefaultTasksMax the configuration files set, the later file winning, with `path:line`.
fn configured(host: &Host) -> Result<Option<(String, String)>, HostError> {
    let mut paths = vec![SYSTEM_CONF.to_owned()];
    for name in host.list_dir(SYSTEM_CONF_D)?.unwrap_or_default() {
        if name.ends_with(".conf") {
            paths.push(format!("{SYSTEM_CONF_D}/{name}"));
        }
    }
    let mut found = None;
    for path in paths {
        let Some(text) = host.read_optional(&path)? else {
            continue;
        };
        let mut in_manager = false;
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.starts_with('[') {
                in_manager = line == "[Manager]";
                continue;
            }
            if !in_manager || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some((key, value)) = line.split_once('=')
                && key.trim() == "DefaultTasksMax"
            {
                found = Some((value.trim().to_owned(), format!("{path}:{}", index + 1)));
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::check::Level;
    use crate::testing::{Tree, assert_status};

    /// The top of a stock /etc/systemd/system.conf (systemd 249, Ubuntu 22.04).
    const STOCK: &str = "#  This file is part of systemd.\n#\n# See systemd-system.conf(5) for details.\n\n[Manager]\n#LogLevel=info\n#LogTarget=journal-or-kmsg\n#DefaultTasksAccounting=yes\n#DefaultTasksMax=15%\n#DefaultLimitNOFILE=1024:524288\n";

    #[test]
    fn infinity_in_the_config_passes() {
        let result = Tree::new()
            .file(
                "etc/systemd/system.conf",
                &STOCK.replace("#DefaultTasksMax=15%", "DefaultTasksMax=infinity"),
            )
            .status(&SystemdTasksmax);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "DefaultTasksMax=infinity (/etc/systemd/system.conf:9)"
        );
    }

    #[test]
    fn a_drop_in_overrides_the_main_file() {
        let result = Tree::new()
            .file(
                "etc/systemd/system.conf",
                &STOCK.replace("#DefaultTasksMax=15%", "DefaultTasksMax=infinity"),
            )
            .file(
                "etc/systemd/system.conf.d/50-limits.conf",
                "[Manager]\nDefaultTasksMax=4915\n",
            )
            .status(&SystemdTasksmax);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "DefaultTasksMax=4915 (/etc/systemd/system.conf.d/50-limits.conf:2)"
        );
    }

    #[test]
    fn a_percentage_is_computed_from_the_kernel_limits() {
        let result = Tree::new()
            .file(
                "etc/systemd/system.conf",
                "[Manager]\nDefaultTasksMax=15%\n",
            )
            .file("proc/sys/kernel/pid_max", "4194304\n")
            .file("proc/sys/kernel/threads-max", "254803\n")
            .status(&SystemdTasksmax);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "DefaultTasksMax=15% of 254803 ≈ 38220 tasks (/etc/systemd/system.conf:2)"
        );
    }

    #[test]
    fn unset_under_a_root_is_skipped() {
        let result = Tree::new()
            .file("etc/systemd/system.conf", STOCK)
            .status(&SystemdTasksmax);
        assert_status(&result, Status::Skip);
        assert!(
            result
                .reason
                .as_deref()
                .is_some_and(|reason| reason.contains("pid_max"))
        );
    }

    #[test]
    fn a_garbled_value_is_an_error_naming_the_line() {
        let result = Tree::new()
            .file(
                "etc/systemd/system.conf",
                "[Manager]\nDefaultTasksMax=lots\n",
            )
            .status(&SystemdTasksmax);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/etc/systemd/system.conf:2: unexpected DefaultTasksMax 'lots'")
        );
    }

    #[test]
    fn systemctl_answers_are_judged() {
        let host = Tree::new().host();
        let source = "systemctl show --property=DefaultTasksMax";
        assert_eq!(judge("infinity", source, &host).unwrap().level, Level::Ok);
        // CentOS 7 (systemd 219) prints infinity as the largest u64.
        let centos = judge("18446744073709551615", source, &host).unwrap();
        assert_eq!(centos.level, Level::Ok);
        assert_eq!(
            centos.observed,
            format!("DefaultTasksMax=infinity ({source})")
        );
        let large = judge("4194304", source, &host).unwrap();
        assert_eq!(large.level, Level::Ok);
        assert!(large.observed.contains("very large"));
        let small = judge("4915", source, &host).unwrap();
        assert_eq!(small.level, Level::Fail);
        assert_eq!(small.observed, format!("DefaultTasksMax=4915 ({source})"));
    }
}
