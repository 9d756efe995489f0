//! `memory.swap`: kubelet refuses to run with swap on (and the installer aborts late).

use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError};
use crate::system;

pub struct MemorySwap;

impl Check for MemorySwap {
    fn id(&self) -> &'static str {
        "memory.swap"
    }

    fn title(&self) -> &'static str {
        "swap is off"
    }

    fn hint(&self) -> &'static str {
        "`swapoff -a`, then remove or comment out the swap lines in /etc/fstab (and mask systemd \
         swap units) so it stays off after a reboot"
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let swaps = host.read("/proc/swaps")?;
        // The first line is the column header; each further line is one active swap area.
        let areas: Vec<&str> = swaps
            .lines()
            .skip(1)
            .filter_map(|line| line.split_whitespace().next())
            .collect();
        let observed = if areas.is_empty() {
            "no active swap".to_owned()
        } else {
            let total = system::memory(host)
                .map(|memory| format!(" ({})", system::gib(memory.swap_total_bytes)))
                .unwrap_or_default();
            format!("swap on {}{total}", areas.join(", "))
        };
        Ok(Observation::new(observed, "no active swap")
            .fail_if(!areas.is_empty())
            .into())
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    const HEADER: &str = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";

    #[test]
    fn no_swap_passes() {
        let result = Tree::new().file("proc/swaps", HEADER).status(&MemorySwap);
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "no active swap");
    }

    #[test]
    fn active_swap_fails_and_names_the_areas() {
        let swaps = format!(
            "{HEADER}/dev/dm-1                               partition\t4194300\t\t0\t\t-2\n/swapfile file 1048572 0 -3\n"
        );
        let meminfo = "MemTotal: 16309412 kB\nMemFree: 1000 kB\nSwapTotal: 5242872 kB\nSwapFree: 5242872 kB\n";
        let result = Tree::new()
            .file("proc/swaps", &swaps)
            .file("proc/meminfo", meminfo)
            .status(&MemorySwap);
        assert_status(&result, Status::Fail);
        assert_eq!(result.observed, "swap on /dev/dm-1, /swapfile (5.0 GiB)");
    }

    #[test]
    fn unreadable_swaps_is_an_error_naming_the_file() {
        let result = Tree::new().status(&MemorySwap);
        assert_status(&result, Status::Error);
        assert_eq!(result.reason.as_deref(), Some("/proc/swaps: no such file"));
    }
}
