//! `lint --primary DIR --standby DIR`: the two global clusters of a DR pair. Each side is its
//! own manifest set with its own context — its own VIP, names, pools and import list — so
//! nothing of one side is mistaken for a conflict with the other (merging both into one set
//! would see every `global-…` object twice and infer one VIP for both). Then the rules that
//! compare what both sides must share (seeds 000 and 002: the ServiceAccount issuer and
//! audiences) see both sets together.

use std::path::Path;

use super::context::{Context, Given, Known};
use super::load;
use super::rule::{Side, Sink};
use super::set::Manifests;
use super::{LintResult, enabled_rules, sort_findings};

pub fn lint_pair(primary: &Path, standby: &Path, given: Given, disabled: &[String]) -> LintResult {
    let mut empty = std::io::empty();
    let loaded = [
        load::load_paths(&[primary.to_path_buf()], &mut empty),
        load::load_paths(&[standby.to_path_buf()], &mut empty),
    ];
    let objects = loaded.iter().map(|side| side.objects.len()).sum();
    let files = loaded.iter().map(|side| side.files).sum();
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    let mut sets = Vec::new();
    for side in loaded {
        sources.extend(side.sources);
        errors.extend(side.errors);
        sets.push(Manifests::new(side.objects));
    }
    let side_given = |vip: &Option<String>| Given {
        dr: true,
        vip: vip.clone(),
        primary_vip: None,
        standby_vip: None,
        ..given.clone()
    };
    let mut contexts = [
        Context::infer(side_given(&given.primary_vip), &sets[0]),
        Context::infer(side_given(&given.standby_vip), &sets[1]),
    ];
    // Each side knows its own VIP; both sides need both (etcd SANs, the DR certificate).
    let vips: Vec<Known> = contexts
        .iter()
        .zip(["--primary-vip", "--standby-vip"])
        .filter_map(|(context, flag)| {
            context.vip.clone().map(|known| Known {
                from: if known.from == "--vip" {
                    flag.to_owned()
                } else {
                    known.from
                },
                value: known.value,
            })
        })
        .collect();
    for context in &mut contexts {
        context.dr_vips = vips.clone();
    }
    let rules = enabled_rules(disabled);
    let mut findings = Vec::new();
    for rule in &rules {
        let mut sink = Sink::new(*rule);
        for (set, context) in sets.iter().zip(&contexts) {
            rule.check(set, context, &mut sink);
        }
        let side = |at: usize| Side {
            set: &sets[at],
            context: &contexts[at],
        };
        rule.check_pair(side(0), side(1), &mut sink);
        findings.extend(sink.into_findings());
    }
    sort_findings(&mut findings, &sources);
    LintResult {
        findings,
        errors,
        sources,
        objects,
        files,
        rules,
    }
}
