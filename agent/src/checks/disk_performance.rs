//! `disk.performance`: the guide wants the control plane's disk to sustain 2000 IOPS and
//! 200 MB/s. A slower disk makes etcd, the image pulls and the platform's log and monitoring
//! components queue behind each other during the installation.
//!
//! Only run when asked: it reads the device for about four seconds. It measures reads only,
//! opening the block device read-only with O_DIRECT (no page cache), one request at a time;
//! nothing is ever written, so etcd's write latency is outside what it can see.

use std::time::Duration;

use ironprep_schema::Role;

use crate::check::{Check, Context, Observation, Outcome, Scope};
use crate::hardware::{self, ETCD_DATA_DIR, Location, ReadMeasurement};
use crate::host::{Host, HostError};

const MINIMUM_IOPS: f64 = 2000.0;
const MINIMUM_MEGABYTES_PER_SECOND: f64 = 200.0;

/// How long each of the two read patterns runs.
const EACH_PATTERN: Duration = Duration::from_secs(2);

pub struct DiskPerformance;

impl Check for DiskPerformance {
    fn id(&self) -> &'static str {
        "disk.performance"
    }

    fn title(&self) -> &'static str {
        "etcd's disk reads at ≥ 2000 IOPS and ≥ 200 MB/s"
    }

    fn hint(&self) -> &'static str {
        "use an SSD/NVMe disk for /var/lib/etcd. This check measured reads only; for the write \
         side that etcd depends on (fdatasync latency) run fio's etcd profile on that disk: \
         `mkdir /var/lib/etcd-fio && fio --name=etcd --directory=/var/lib/etcd-fio --rw=write \
         --ioengine=sync --fdatasync=1 --size=22m --bs=2300` and want the 99th percentile of \
         fdatasync under 10 ms (remove the directory afterwards)"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE
            .for_roles(&[Role::ControlPlane, Role::Etcd])
            .on_request()
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let Some(live) = host.live_system() else {
            return Ok(Outcome::skip(
                "needs the running system to read the disk (--root given)",
            ));
        };
        let stack = match hardware::locate(host, ETCD_DATA_DIR)? {
            Location::Block(stack) => stack,
            Location::Elsewhere(reason) => {
                return Ok(Outcome::skip(format!(
                    "cannot find the disk of {ETCD_DATA_DIR}: {reason}"
                )));
            }
        };
        let node = format!("/dev/{}", stack.device);
        if !host.exists(&node)? {
            return Ok(Outcome::skip(format!(
                "no device node {node} to read (a container without /dev?)"
            )));
        }
        let measurement = hardware::measure_reads(&live, &node, EACH_PATTERN)?;
        Ok(judge(&stack.describe(), &node, &measurement).into())
    }
}

/// The figures against the guide's minimums.
fn judge(location: &str, node: &str, measurement: &ReadMeasurement) -> Observation {
    let (iops, throughput) = (measurement.iops(), measurement.megabytes_per_second());
    let cache = if measurement.direct {
        ""
    } else {
        "; O_DIRECT refused, so the page cache may inflate the figures"
    };
    let observed = format!(
        "{location}: {iops:.0} IOPS (random 4 KiB reads), {throughput:.0} MB/s (sequential \
         1 MiB reads) from {node}; reads only, one at a time, {} s each{cache}",
        EACH_PATTERN.as_secs()
    );
    let slow = iops < MINIMUM_IOPS || throughput < MINIMUM_MEGABYTES_PER_SECOND;
    Observation::new(observed, "≥ 2000 IOPS and ≥ 200 MB/s")
        .warn_if(!measurement.direct)
        .fail_if(slow)
}

#[cfg(test)]
mod tests {
    use ironprep_schema::{Cni, Profile, Status};

    use super::*;
    use crate::check::Level;
    use crate::hardware::fixtures::rhel8_lvm;
    use crate::testing::{assert_status, context};

    fn measurement(random_reads: u64, sequential_megabytes: u64, direct: bool) -> ReadMeasurement {
        ReadMeasurement {
            random_reads,
            random_elapsed: Duration::from_secs(2),
            sequential_bytes: sequential_megabytes * 1_000_000,
            sequential_elapsed: Duration::from_secs(2),
            direct,
        }
    }

    const LOCATION: &str = "/var/lib on /dev/mapper/rhel-root (dm-0 → sda)";

    #[test]
    fn a_fast_disk_passes_and_says_only_reads_were_measured() {
        let observation = judge(LOCATION, "/dev/dm-0", &measurement(20_000, 1000, true));
        assert_eq!(observation.level, Level::Ok);
        assert_eq!(
            observation.observed,
            "/var/lib on /dev/mapper/rhel-root (dm-0 → sda): 10000 IOPS (random 4 KiB reads), \
             500 MB/s (sequential 1 MiB reads) from /dev/dm-0; reads only, one at a time, \
             2 s each"
        );
    }

    #[test]
    fn a_hard_disk_fails_on_either_figure() {
        // A 7200 rpm disk: about 150 random reads/s, yet 180 MB/s sequentially.
        let hdd = judge(LOCATION, "/dev/dm-0", &measurement(300, 360, true));
        assert_eq!(hdd.level, Level::Fail);
        assert!(hdd.observed.contains("150 IOPS"), "{}", hdd.observed);
        let slow_stream = judge(LOCATION, "/dev/dm-0", &measurement(10_000, 300, true));
        assert_eq!(slow_stream.level, Level::Fail);
    }

    #[test]
    fn buffered_reads_are_flagged() {
        let observation = judge(LOCATION, "/dev/dm-0", &measurement(20_000, 1000, false));
        assert_eq!(observation.level, Level::Warn);
        assert!(
            observation
                .observed
                .ends_with("page cache may inflate the figures"),
            "{}",
            observation.observed
        );
    }

    #[test]
    fn runs_only_when_asked_and_never_under_a_root() {
        let tree = rhel8_lvm(false);
        assert_eq!(
            tree.status(&DiskPerformance).reason.as_deref(),
            Some("runs only when asked for (--with ID or --only ID)")
        );
        // Asked for by name, but the tree is not a running system.
        let outcome = DiskPerformance
            .run(&Host::rooted(tree.path()), &Context::default())
            .unwrap();
        assert_eq!(
            outcome,
            Outcome::skip("needs the running system to read the disk (--root given)")
        );
        let worker = context(Profile::Traditional, &[Role::Worker], Cni::KubeOvn);
        assert_status(&tree.run(&DiskPerformance, &worker), Status::Skip);
    }
}
