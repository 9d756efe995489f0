//! `disk.free`: the installer host unpacks the core package (images and charts) and serves it
//! to the other nodes; the installation guide asks for 100 GB free there. Running out of
//! space halfway leaves a half-unpacked registry and a failed install.

use ironprep_schema::Role;

use crate::check::{Check, Context, Observation, Outcome, Scope};
use crate::host::{Host, HostError};
use crate::system::{self, Mount};

/// The guide's "100 GB", read as decimal gigabytes (the unit disk sizes are sold in). It is
/// 93.1 GiB; both are printed so nobody has to convert.
const REQUIRED_BYTES: u64 = 100_000_000_000;

/// Filesystems on which statvfs may block for minutes (a hard NFS mount with the server gone)
/// or trigger a mount (autofs). Their free space is not measured.
const NETWORK_FILESYSTEMS: [&str; 10] = [
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "ceph",
    "glusterfs",
    "fuse.glusterfs",
    "fuse.sshfs",
    "autofs",
];

pub struct DiskFree;

impl Check for DiskFree {
    fn id(&self) -> &'static str {
        "disk.free"
    }

    fn title(&self) -> &'static str {
        "at least 100 GB free where the installer package is unpacked"
    }

    fn hint(&self) -> &'static str {
        "unpack the package on a local filesystem with at least 100 GB free (and point \
         --package-dir at it), or grow this one's logical volume: `lvextend -r -L +100G \
         /dev/VG/LV`"
    }

    fn scope(&self) -> Scope {
        Scope::TRADITIONAL.for_roles(&[Role::Installer])
    }

    fn run(&self, host: &Host, context: &Context) -> Result<Outcome, HostError> {
        let Some(live) = host.live_system() else {
            return Ok(Outcome::skip(
                "needs the running system (--root given): free space is measured with statvfs",
            ));
        };
        let wanted = context.package_dir.as_str();
        let mounts = system::mounts(host)?;
        let expected = format!(
            "≥ 100 GB ({}) free for {wanted}",
            system::gib(REQUIRED_BYTES)
        );
        // Decided on the path as written, before anything under it is touched: even a stat on
        // a hard NFS mount whose server is gone blocks.
        if let Some(mount) = system::mount_of(&mounts, wanted)
            && is_network(mount)
        {
            return Ok(Observation::new(
                format!(
                    "{wanted} on {} ({} from {}): a network filesystem, free space not measured",
                    mount.mount_point, mount.fs_type, mount.source
                ),
                expected,
            )
            .warn_if(true)
            .with_hint(
                "unpack the package on a local disk: a network filesystem is slow to serve \
                 images from and its free space is not checked",
            )
            .into());
        }
        let directory = nearest_directory(host, wanted)?;
        let place = place(system::mount_of(&mounts, &directory), wanted, &directory);
        let (free, total) = live.filesystem_space(&directory)?;
        let observed = format!(
            "{} ({}) free of {}, {place}",
            system::gib(free),
            decimal_gb(free),
            system::gib(total)
        );
        Ok(Observation::new(observed, expected)
            .fail_if(free < REQUIRED_BYTES)
            .into())
    }
}

fn is_network(mount: &Mount) -> bool {
    NETWORK_FILESYSTEMS.contains(&mount.fs_type.as_str())
}

/// Where the package goes, in words: the directory and the filesystem holding it.
fn place(mount: Option<&Mount>, wanted: &str, directory: &str) -> String {
    let created = if directory == wanted {
        ""
    } else {
        " (not created yet)"
    };
    match mount {
        Some(mount) => format!(
            "{wanted}{created} on {} ({})",
            mount.mount_point, mount.fs_type
        ),
        None => format!("{wanted}{created}"),
    }
}

/// `path` itself, or the closest ancestor directory that exists (the package directory is
/// often created by the unpacking itself).
fn nearest_directory(host: &Host, path: &str) -> Result<String, HostError> {
    let mut candidate = path.trim_end_matches('/').to_owned();
    loop {
        if candidate.is_empty() {
            return Ok("/".to_owned());
        }
        if host.is_dir(&candidate)? {
            return Ok(candidate);
        }
        match candidate.rfind('/') {
            Some(slash) => candidate.truncate(slash),
            None => return Err(HostError::new(path, "not an absolute path")),
        }
    }
}

fn decimal_gb(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use ironprep_schema::{Cni, Profile, Status};

    use super::*;
    use crate::testing::{Tree, assert_status, context};

    fn installer() -> Context {
        context(Profile::Traditional, &[Role::Installer], Cni::KubeOvn)
    }

    #[test]
    fn the_nearest_existing_directory_is_measured() {
        let host = Tree::new().dir("opt/data").host();
        assert_eq!(
            nearest_directory(&host, "/opt/data/acp/pkg").unwrap(),
            "/opt/data"
        );
        assert_eq!(nearest_directory(&host, "/opt/data/").unwrap(), "/opt/data");
        assert_eq!(nearest_directory(&host, "/srv/none").unwrap(), "/");
        assert_eq!(
            nearest_directory(&host, "relative/dir")
                .unwrap_err()
                .to_string(),
            "relative/dir: not an absolute path"
        );
    }

    #[test]
    fn network_filesystems_are_recognised_without_touching_them() {
        let mountinfo = "\
96 1 253:0 / / rw,relatime shared:1 - xfs /dev/mapper/centos-root rw,attr2,inode64,noquota
120 96 0:52 / /data rw,relatime shared:70 - nfs4 nfs01.example.com:/export/acp rw,vers=4.1,rsize=1048576,wsize=1048576,hard,proto=tcp,sec=sys
";
        let host = Tree::new().file("proc/self/mountinfo", mountinfo).host();
        let mounts = system::mounts(&host).unwrap();
        let nfs = system::mount_of(&mounts, "/data/acp").unwrap();
        assert!(is_network(nfs));
        assert_eq!(nfs.source, "nfs01.example.com:/export/acp");
        let root = system::mount_of(&mounts, "/root").unwrap();
        assert!(!is_network(root));
        assert_eq!(place(Some(root), "/root", "/root"), "/root on / (xfs)");
        assert_eq!(
            place(Some(root), "/opt/acp", "/opt"),
            "/opt/acp (not created yet) on / (xfs)"
        );
    }

    #[test]
    fn only_the_installer_host_is_checked() {
        let result = Tree::new().status(&DiskFree);
        assert_status(&result, Status::Skip);
        assert_eq!(result.reason.as_deref(), Some("applies to installer hosts"));
    }

    #[test]
    fn under_a_root_it_is_skipped() {
        let result = Tree::new().dir("root").run(&DiskFree, &installer());
        assert_status(&result, Status::Skip);
        assert!(
            result
                .reason
                .is_some_and(|reason| reason.contains("--root"))
        );
    }

    #[test]
    fn gigabytes_are_decimal() {
        assert_eq!(decimal_gb(REQUIRED_BYTES), "100.0 GB");
        assert_eq!(system::gib(REQUIRED_BYTES), "93.1 GiB");
    }

    #[test]
    fn on_this_machine_the_root_directory_is_measured() {
        let context = Context {
            package_dir: "/nonexistent-ironprep-test/pkg".to_owned(),
            ..installer()
        };
        let result = crate::runner::evaluate(&DiskFree, &Host::live(), &context);
        assert!(
            result
                .observed
                .contains("/nonexistent-ironprep-test/pkg (not created yet) on /"),
            "{result:?}"
        );
        assert!(matches!(
            result.status,
            Status::Pass | Status::Fail | Status::Warn
        ));
    }

    #[test]
    fn a_relative_package_dir_is_an_error() {
        let context = Context {
            package_dir: "pkg".to_owned(),
            ..installer()
        };
        let result = crate::runner::evaluate(&DiskFree, &Host::live(), &context);
        assert_status(&result, Status::Error);
        assert_eq!(result.reason.as_deref(), Some("pkg: not an absolute path"));
    }
}
