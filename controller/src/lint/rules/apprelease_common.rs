//! Shared by `apprelease.*`: the provider AppReleases of the bootstrap KIND host — the values
//! that point hosts at the bootstrap endpoint, make the system-agent verify TLS, and drive the
//! handoff.

use crate::lint::object::Object;
use crate::lint::rule::Sink;
use crate::lint::set::{self, Manifests};
use crate::lint::tree::{Node, Pos};

pub(super) const BAREMETAL: &str = "cluster-api-provider-baremetal";

/// The bare-metal provider's AppReleases (`cluster-api-provider-baremetal`).
pub(super) fn baremetal_releases(set: &Manifests) -> impl Iterator<Item = &Object> {
    set.of_kind(set::APP_RELEASE)
        .filter(|object| object.name == BAREMETAL)
}

pub(super) fn providers(set: &Manifests) -> impl Iterator<Item = &Object> {
    set.of_kind(set::APP_RELEASE)
        .filter(|object| object.name.starts_with("cluster-api-provider-"))
}

/// The chart values: `spec.values`, or the first `values` mapping under `spec`.
pub(super) fn values(object: &Object) -> Option<(String, &Node)> {
    fn search<'a>(
        node: &'a Node,
        path: &mut Vec<String>,
        depth: usize,
    ) -> Option<(String, &'a Node)> {
        if depth == 0 {
            return None;
        }
        for entry in node.entries() {
            if entry.key == "values" {
                path.push("values".to_owned());
                return Some((path.join("."), &entry.value));
            }
        }
        for entry in node.entries() {
            path.push(entry.key.clone());
            if let Some(found) = search(&entry.value, path, depth - 1) {
                return Some(found);
            }
            path.pop();
        }
        for (index, item) in node.items().iter().enumerate() {
            let last = path.pop().unwrap_or_default();
            path.push(format!("{last}[{index}]"));
            if let Some(found) = search(item, path, depth - 1) {
                return Some(found);
            }
            path.pop();
            path.push(last);
        }
        None
    }
    let spec = object.root.get("spec")?;
    search(spec, &mut vec!["spec".to_owned()], 4)
}

/// A value at `keys` under the chart values or under their `global`; with its dotted field and
/// the line of its key (or of the nearest parent when missing).
pub(super) struct Value<'a> {
    pub(super) node: Option<&'a Node>,
    pub(super) field: String,
    pub(super) pos: Pos,
}

pub(super) fn value<'a>(object: &'a Object, keys: &[&str]) -> Value<'a> {
    let Some((prefix, values)) = values(object) else {
        return Value {
            node: None,
            field: format!("spec.values.{}", keys.join(".")),
            pos: object.pos,
        };
    };
    let roots = [
        (prefix.clone(), Some(values)),
        (format!("{prefix}.global"), values.get("global")),
    ];
    let mut nearest = None;
    for (root_field, root) in roots {
        let Some(mut node) = root else { continue };
        let mut pos = object.pos;
        let mut depth = 0;
        for key in keys {
            match node.entry(key) {
                Some(entry) => {
                    node = &entry.value;
                    pos = entry.key_pos;
                    depth += 1;
                }
                None => break,
            }
        }
        let field = format!("{root_field}.{}", keys.join("."));
        if depth == keys.len() {
            return Value {
                node: Some(node),
                field,
                pos,
            };
        }
        if nearest.as_ref().is_none_or(|(best, _, _)| depth > *best) && depth > 0 {
            nearest = Some((depth, field, pos));
        }
    }
    let (field, pos) = nearest.map_or_else(
        || (format!("{prefix}.{}", keys.join(".")), values.pos),
        |(_, field, pos)| (field, pos),
    );
    Value {
        node: None,
        field,
        pos,
    }
}

pub(super) fn expect(sink: &mut Sink, object: &Object, keys: &[&str], wanted: &str, why: &str) {
    let found = value(object, keys);
    let actual = found.node.and_then(Node::str);
    if actual != Some(wanted) {
        let message = match actual {
            Some(actual) => format!("{} is `{actual}`; {why}", keys.join(".")),
            None => format!("{} is not set; {why}", keys.join(".")),
        };
        let fix = format!("set `{}: {wanted}`", keys.last().copied().unwrap_or(""));
        sink.at(object, found.pos, found.field, message, fix);
    }
}
