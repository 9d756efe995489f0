//! Test support: small fixture trees built in a temporary directory, so each check's tests can
//! state exactly the files they depend on next to the assertions.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use ironprep_schema::{Cni, Profile, Role, Status};

use crate::check::{Check, Context};
use crate::host::Host;
use crate::runner;

pub struct Tree {
    directory: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            directory: tempfile::tempdir().expect("a temporary directory for a fixture tree"),
        }
    }

    pub fn path(&self) -> &Path {
        self.directory.path()
    }

    /// Adds a file at `path` (relative to the root, without a leading `/`).
    pub fn file(self, path: &str, contents: &str) -> Tree {
        let full = self.directory.path().join(path);
        fs::create_dir_all(full.parent().expect("a fixture path has a parent")).unwrap();
        fs::write(&full, contents).unwrap();
        self
    }

    pub fn dir(self, path: &str) -> Tree {
        fs::create_dir_all(self.directory.path().join(path)).unwrap();
        self
    }

    pub fn executable(self, path: &str) -> Tree {
        let tree = self.file(path, "#!/bin/sh\n");
        let full = tree.directory.path().join(path);
        fs::set_permissions(&full, fs::Permissions::from_mode(0o755)).unwrap();
        tree
    }

    pub fn symlink(self, path: &str, target: &str) -> Tree {
        let full = self.directory.path().join(path);
        fs::create_dir_all(full.parent().expect("a fixture path has a parent")).unwrap();
        symlink(target, &full).unwrap();
        self
    }

    /// The host rooted at this tree; it keeps the tree (and its files) alive.
    pub fn host(self) -> TreeHost {
        TreeHost {
            host: Host::rooted(self.directory.path()),
            _tree: self,
        }
    }

    /// Runs one check the way the runner does and returns its result.
    pub fn run(&self, check: &dyn Check, context: &Context) -> ironprep_schema::CheckResult {
        runner::evaluate(check, &Host::rooted(self.directory.path()), context)
    }

    /// Runs one check with the default context (traditional, control-plane, kube-ovn).
    pub fn status(&self, check: &dyn Check) -> ironprep_schema::CheckResult {
        self.run(check, &Context::default())
    }
}

pub struct TreeHost {
    host: Host,
    _tree: Tree,
}

impl std::ops::Deref for TreeHost {
    type Target = Host;

    fn deref(&self) -> &Host {
        &self.host
    }
}

impl Default for Tree {
    fn default() -> Self {
        Tree::new()
    }
}

/// A context for one profile, set of roles and CNI, with every other option at its default.
pub fn context(profile: Profile, roles: &[Role], cni: Cni) -> Context {
    Context {
        profile,
        roles: roles.to_vec(),
        cni,
        ..Context::default()
    }
}

/// Asserts a status and shows the whole result when it differs.
#[track_caller]
pub fn assert_status(result: &ironprep_schema::CheckResult, status: Status) {
    assert_eq!(
        result.status, status,
        "unexpected status for {}: {result:#?}",
        result.id
    );
}
