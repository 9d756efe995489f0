//! `ironprep lint`: catches the manifest mistakes that the installer only reveals 40 minutes in,
//! or that only bite at the first disaster-recovery failover — over what a user would
//! `kubectl apply -f`, plus the installer request JSON.
//!
//! The pipeline: [`load`] reads inputs into objects with positions ([`tree`]), [`set`] indexes
//! them and works out each object's cluster, [`context`] resolves the VIP, platform host and
//! catalog, every rule of the [`rules`] registry reports into a [`rule::Sink`], and [`render`]
//! turns the findings into the output pipeline's document and view.

mod context;
mod finding;
mod load;
mod object;
mod pair;
mod render;
mod rule;
mod rules;
mod secret;
mod set;
mod tree;

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use ironprep_report::View;
use ironprep_schema::ExitCode;

pub use context::{Phase, Provider};
pub use finding::{Finding, SCHEMA_VERSION, Severity};
pub use load::{LoadError, Loaded, MAX_INPUT_BYTES, load_bytes};
pub(crate) use object::Object as ManifestObject;

use context::{Catalog, Context, Given};
use rule::{Rule, Sink};
use set::Manifests;

use crate::output::{Output, OutputArgs};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  ironprep lint manifests/                         every *.yaml, *.yml, *.json below it
  ironprep lint new-global.yaml installer-config-baremetal.json
  kubectl -n cpaas-system get cm dcs-import-extra-resources -o yaml | ironprep lint -
  ironprep lint --phase installed --vip 192.168.10.100 expansion.yaml
  ironprep lint --dr --primary-vip 192.168.10.100 --standby-vip 192.168.20.100 primary/
  ironprep lint --primary primary/ --standby standby/   both DR sides, each on its own, then compared
  ironprep lint --format sarif manifests/ > lint.sarif
  ironprep lint --explain naming.global-prefix
  kubectl get machineinventories,machineinventorypools,seedimages,machineregistrations \\
      -n cpaas-system -o yaml | ironprep lint --phase installed --vip 192.168.10.100 -
  ironprep lint --report fleet.json 01-machineregistration-seedimage.yaml 02-pools.yaml
  ironprep lint --waivers lint-waivers.yaml --format junit manifests/ > lint.xml

Silence a rule for one document with a comment in it: `# ironprep: ignore RULE[, RULE]` (or
`all`; a name that is no rule is an input error).

To accept a finding and keep seeing it, waive it (--waivers FILE): it stays in every format,
marked waived with the reason, and fails nothing. `objects` patterns (`*` matches anything;
quote one that starts with it: '*-kcp') match the object's name, or, with a `/`, the whole
`Kind/namespace/name` a finding names; without `objects`, every object.
  - rule: kcp.replicas
    objects: [global-*]
    reason: the PoC global cluster has one control-plane node
    expires: 2026-06-30
    owner: platform-team
  - rule: import.dcs-default
    objects: [ConfigMap/cpaas-system/*]
    reason: extra imports reviewed in CHG-2231

Exit codes: 0 no error (warnings allowed unless --strict), 1 errors, 2 unreadable input or usage
(an unknown rule, an expired waiver or a malformed waiver file too).")]
pub struct LintArgs {
    /// Files, directories (recursively: *.yaml, *.yml, *.json) or `-` for standard input.
    #[arg(
        value_name = "PATH",
        required_unless_present_any = ["list_rules", "explain", "primary"]
    )]
    pub paths: Vec<PathBuf>,

    /// DR: the primary side's manifests (file or directory). Each side is linted on its own
    /// (its own VIP, names and pools), then what both sides must share is compared.
    #[arg(long, value_name = "PATH", requires = "standby", conflicts_with_all = ["paths", "vip"])]
    pub primary: Option<PathBuf>,

    /// DR: the standby side's manifests (file or directory); see --primary.
    #[arg(long, value_name = "PATH", requires = "primary")]
    pub standby: Option<PathBuf>,

    /// bootstrap (before handoff, the default) or installed (after handoff).
    #[arg(long, value_enum, default_value_t = Phase::Bootstrap)]
    pub phase: Phase,

    /// The global cluster is installed as a primary/standby disaster-recovery pair.
    #[arg(long)]
    pub dr: bool,

    /// The control-plane VIP [default: BaremetalCluster host, installer request, AppRelease].
    #[arg(long, value_name = "IP")]
    pub vip: Option<IpAddr>,

    /// DR: the primary global cluster's control-plane VIP (etcd SANs need both sides' VIPs).
    #[arg(long, value_name = "IP")]
    pub primary_vip: Option<IpAddr>,

    /// DR: the standby global cluster's control-plane VIP (etcd SANs need both sides' VIPs).
    #[arg(long, value_name = "IP")]
    pub standby_vip: Option<IpAddr>,

    /// The platform access domain or address [default: installer request globalHost, AppRelease].
    #[arg(long, value_name = "HOST")]
    pub platform_host: Option<String>,

    /// The bootstrap KIND host's IP [default: the installer request's hostIP].
    #[arg(long, value_name = "IP")]
    pub host_ip: Option<IpAddr>,

    /// The elemental-image-catalog (a ConfigMap YAML, or `version: image` lines)
    /// [default: the ConfigMap in the input].
    #[arg(long, value_name = "FILE")]
    pub image_catalog: Option<PathBuf>,

    /// The infrastructure provider [default: inferred from the manifests, else baremetal].
    #[arg(long, value_enum)]
    pub provider: Option<Provider>,

    /// An ironprep fleet report (`ironprep check --format json`): pools and inventories are
    /// checked against the hosts it names.
    #[arg(long, value_name = "FLEET.json")]
    pub report: Option<PathBuf>,

    /// Do not run these rules (comma-separated or repeated).
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub disable: Vec<String>,

    /// Warnings fail too (exit 1).
    #[arg(long)]
    pub strict: bool,

    /// Accepted findings: a YAML list of `{rule: RULE, objects: [PATTERN], reason, expires:
    /// YYYY-MM-DD, owner}` (see below). Waived findings stay in the output and fail nothing;
    /// an expired waiver or an unknown rule is an input error.
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,

    /// List the rules and exit.
    #[arg(long)]
    pub list_rules: bool,

    /// Explain one rule: what, why, an example fix.
    #[arg(long, value_name = "RULE")]
    pub explain: Option<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: &LintArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let output = Output::open(&args.output)?;
    if args.list_rules {
        let list = render::rule_list(rules::ALL);
        output.finish(&list, &View::of_rule_list(&list), out)?;
        return Ok(ExitCode::Success);
    }
    if let Some(id) = &args.explain {
        let rule = rules::find(id).with_context(|| unknown_rule(id))?;
        out.write_all(render::explanation(rule).as_bytes())?;
        return Ok(ExitCode::Success);
    }
    for id in &args.disable {
        if rules::find(id).is_none() {
            bail!("{}", unknown_rule(id));
        }
    }
    let waivers = match &args.waivers {
        Some(path) => {
            let knows = |id: &str| rules::find(id).is_some();
            let catalog = crate::waivers::Catalog {
                command: "ironprep lint",
                waives: crate::waivers::Kind::Rules,
                knows: &knows,
            };
            crate::waivers::load_current(path, &catalog, crate::waivers::today())
                .context("--waivers")?
        }
        None => Vec::new(),
    };
    let catalog = args
        .image_catalog
        .as_deref()
        .map(read_catalog)
        .transpose()?;
    let given = Given {
        phase: Some(args.phase),
        dr: args.dr,
        provider: args.provider,
        vip: args.vip.map(|ip| ip.to_string()),
        primary_vip: args.primary_vip.map(|ip| ip.to_string()),
        standby_vip: args.standby_vip.map(|ip| ip.to_string()),
        platform_host: args.platform_host.clone(),
        host_ip: args.host_ip.map(|ip| ip.to_string()),
        catalog,
        fleet: args
            .report
            .as_deref()
            .map(crate::registration::read_fleet)
            .transpose()?
            .map(std::sync::Arc::new),
    };
    let mut result = match (&args.primary, &args.standby) {
        (Some(primary), Some(standby)) => pair::lint_pair(primary, standby, given, &args.disable),
        _ => {
            let loaded = load::load_paths(&args.paths, &mut std::io::stdin().lock());
            lint(loaded, given, &args.disable)
        }
    };
    // Over the findings of either path, DR pair included, once they are all known.
    result.waive(&waivers);
    let outcome = render::Outcome {
        findings: &result.findings,
        errors: &result.errors,
        sources: &result.sources,
        objects: result.objects,
        files: result.files,
        rules: &result.rules,
    };
    output.finish(&render::document(&outcome), &render::view(&outcome), out)?;
    Ok(result.exit_code(args.strict))
}

fn unknown_rule(id: &str) -> String {
    format!("unknown rule `{id}`; `ironprep lint --list-rules` lists them")
}

fn read_catalog(path: &Path) -> anyhow::Result<Catalog> {
    let mut loaded = Loaded::default();
    let bytes = ironprep_input::read(path, MAX_INPUT_BYTES)
        .with_context(|| format!("cannot read the image catalog {}", path.display()))?;
    let name = path.display().to_string();
    load_bytes(&name, &bytes, &mut loaded);
    if let Some(error) = loaded.errors.first() {
        bail!("image catalog {error}");
    }
    let text = loaded
        .sources
        .first()
        .map(|source| source.text.as_str())
        .unwrap_or("");
    let documents = tree::parse_stream(text)
        .map_err(|error| anyhow::anyhow!("image catalog {name}: {error}"))?;
    let root = documents
        .into_iter()
        .next()
        .map(|document| document.root)
        .with_context(|| format!("image catalog {name} is empty"))?;
    let catalog = Catalog::from_node(&root, &name);
    if catalog.entries.is_empty() {
        bail!("image catalog {name} has no `version: image` entries");
    }
    Ok(catalog)
}

/// The result of linting, before rendering.
pub struct LintResult {
    pub findings: Vec<Finding>,
    pub errors: Vec<LoadError>,
    sources: Vec<std::sync::Arc<object::Source>>,
    pub objects: usize,
    pub files: usize,
    rules: Vec<&'static dyn Rule>,
}

impl LintResult {
    /// 2 when an input was unreadable, 1 with an error (or a warning under `--strict`) that no
    /// waiver accepts, else 0.
    pub fn exit_code(&self, strict: bool) -> ExitCode {
        let failing = |finding: &Finding| {
            finding.waived.is_none()
                && (finding.severity == Severity::Error
                    || (strict && finding.severity == Severity::Warning))
        };
        if !self.errors.is_empty() {
            ExitCode::Usage
        } else if self.findings.iter().any(failing) {
            ExitCode::Failed
        } else {
            ExitCode::Success
        }
    }
}

impl LintResult {
    /// Marks each error or warning the first covering waiver accepts (`--waivers`); `info`
    /// findings fail nothing and stay as they are.
    pub fn waive(&mut self, waivers: &[crate::waivers::Waiver]) {
        for finding in &mut self.findings {
            if finding.severity == Severity::Info {
                continue;
            }
            if let Some(waiver) = waivers
                .iter()
                .find(|waiver| waiver.covers_object(&finding.rule, &finding.object))
            {
                finding.waived = Some(finding::Waiver {
                    reason: waiver.reason.clone(),
                    owner: waiver.owner.clone(),
                    expires: waiver.expires.map(|date| date.to_string()),
                });
            }
        }
    }
}

/// Lints loaded inputs; public so tests and the benchmark can call it without a process.
pub fn lint(loaded: Loaded, given: Given, disabled: &[String]) -> LintResult {
    let objects = loaded.objects.len();
    let set = Manifests::new(loaded.objects);
    let context = Context::infer(given, &set);
    let rules = enabled_rules(disabled);
    let mut findings = Vec::new();
    for rule in &rules {
        let mut sink = Sink::new(*rule);
        rule.check(&set, &context, &mut sink);
        findings.extend(sink.into_findings());
    }
    sort_findings(&mut findings, &loaded.sources);
    LintResult {
        findings,
        errors: loaded.errors,
        sources: loaded.sources,
        objects,
        files: loaded.files,
        rules,
    }
}

fn enabled_rules(disabled: &[String]) -> Vec<&'static dyn Rule> {
    rules::ALL
        .iter()
        .copied()
        .filter(|rule| !disabled.iter().any(|id| id == rule.id()))
        .collect()
}

/// Report order: input order of files, then line; rules keep registry order on one line.
fn sort_findings(findings: &mut [Finding], sources: &[std::sync::Arc<object::Source>]) {
    let order: std::collections::HashMap<&str, usize> = sources
        .iter()
        .enumerate()
        .map(|(at, source)| (source.name.as_str(), at))
        .collect();
    findings.sort_by_key(|finding| {
        (
            order
                .get(finding.file.as_str())
                .copied()
                .unwrap_or(usize::MAX),
            finding.line,
        )
    });
}

/// Reads the paths (and standard input for `-`) and lints them with the given context.
pub fn lint_paths(paths: &[PathBuf], given: Given, disabled: &[String]) -> LintResult {
    let loaded = load::load_paths(paths, &mut std::io::empty());
    lint(loaded, given, disabled)
}

pub use context::Given as LintContext;

/// Every rule ID, in registry order (for tests and documentation).
pub fn rule_ids() -> Vec<&'static str> {
    rules::ALL.iter().map(|rule| rule.id()).collect()
}

/// Loads and lints bytes as one input named `name` (fuzzing, tests).
pub fn lint_bytes(name: &str, bytes: &[u8]) -> LintResult {
    let mut loaded = Loaded::default();
    load_bytes(name, bytes, &mut loaded);
    lint(loaded, Given::default(), &[])
}
