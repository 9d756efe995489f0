//! `placeholder.unreplaced`: The seeds write every environment-specific value as
//! `<placeholder>` or as a shell variable expanded by a `cat <<EOF` heredoc. A value left as
//! written is applied literally: the installer fails much later on a name, address or version
//! that does not exist. Only elemental's own templates such as `${System Information/UUID}` in
//! a MachineRegistration's machineName, labels and annotations are expanded, by
//! elemental-register from the host's SMBIOS data.

use granit_parser::ScalarStyle;

use super::describe;
use crate::lint::context::Context;
use crate::lint::object::{INSTALLER_REQUEST, Object};
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::{self, Manifests};
use crate::lint::tree::{self, PathPart, Pos};

/// Keys under which text is a script or file content: `${VAR}` there is shell syntax, and
/// `<x>` is only a placeholder when it looks like one (`<cluster-name>`, `<HOST_IP>`).
const SCRIPT_KEYS: &[&str] = &[
    "preKubeadmCommands",
    "postKubeadmCommands",
    "content",
    "runcmd",
    "bootcmd",
    "cloud-config",
];

pub struct Unreplaced;

impl Rule for Unreplaced {
    describe!(
        "placeholder.unreplaced",
        "no `<placeholder>` or `${VARIABLE}` is left unreplaced",
        why: "The seeds write every environment-specific value as `<placeholder>` or as a shell \
              variable expanded by a `cat <<EOF` heredoc. A value left as written is applied \
              literally: the installer fails much later on a name, address or version that does \
              not exist. Only elemental's own templates such as `${System Information/UUID}` \
              in a MachineRegistration's machineName, labels and annotations are expanded, by \
              elemental-register from the host's SMBIOS data.",
        example: "spec:\n  controlPlaneLoadBalancer:\n    host: 192.168.10.100   # was <control-plane-vip>",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in set.objects.iter().filter(|object| is_linted(object)) {
            let mut path = Vec::new();
            object.root.walk_scalars(&mut path, &mut |path, pos, scalar| {
                let scripted = path.iter().any(|part| {
                    matches!(part, PathPart::Key(key) if SCRIPT_KEYS.contains(key))
                });
                let templated = object.kind == set::REGISTRATION
                    && matches!(
                        path.get(1),
                        Some(PathPart::Key(
                            "machineName" | "machineInventoryLabels" | "machineInventoryAnnotations"
                        ))
                    );
                for found in placeholders(&scalar.text) {
                    let text = &scalar.text[found.clone()];
                    let variable = text.starts_with("${");
                    if variable && (scripted || (templated && text.contains('/'))) {
                        continue;
                    }
                    if !variable && scripted && !text.contains(['-', '_']) {
                        continue;
                    }
                    let at = locate(object, pos, scalar.style, &scalar.text, found.start, text);
                    let fix = if variable {
                        format!(
                            "`{text}` was not expanded: render the file through the shell heredoc \
                             (`cat > file <<EOF`) with the variable exported, or write the value"
                        )
                    } else {
                        format!("replace `{text}` with the value for this environment")
                    };
                    sink.at(object, at, tree::dotted(path), format!("unreplaced placeholder `{text}`"), fix);
                }
            });
        }
    }
}

fn is_linted(object: &Object) -> bool {
    set::PLATFORM_KINDS.contains(&object.kind.as_str())
        || matches!(
            object.kind.as_str(),
            INSTALLER_REQUEST
                | set::APP_RELEASE
                | set::SECRET
                | set::ROLE
                | "RoleBinding"
                | "MachineInventory"
        )
        || (object.kind == set::CONFIG_MAP
            && [set::IMPORT_CONFIG_MAP, set::CATALOG_CONFIG_MAP].contains(&object.name.as_str()))
}

/// Byte ranges of `${…}` and `<name>` placeholders in `text`.
fn placeholders(text: &str) -> Vec<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'$' && bytes.get(index + 1) == Some(&b'{') {
            if let Some(end) = text[index..].find('}') {
                found.push(index..index + end + 1);
                index += end + 1;
                continue;
            }
        } else if bytes[index] == b'<' && bytes.get(index + 1).is_some_and(u8::is_ascii_alphabetic)
        {
            let rest = &bytes[index + 1..];
            let length = rest
                .iter()
                .take_while(|&&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
                .count();
            if rest.get(length) == Some(&b'>') {
                found.push(index..index + length + 2);
                index += length + 2;
                continue;
            }
        }
        index += 1;
    }
    found
}

/// Where the placeholder is written: inside a literal block, the line of the match; on a
/// one-line scalar, the column where it appears on that line.
fn locate(
    object: &Object,
    pos: Pos,
    style: ScalarStyle,
    text: &str,
    offset: usize,
    needle: &str,
) -> Pos {
    let line = if style == ScalarStyle::Literal {
        pos.line + u32::try_from(text[..offset].matches('\n').count()).unwrap_or(0)
    } else {
        pos.line
    };
    let column = object
        .source
        .text
        .lines()
        .nth(line.saturating_sub(1) as usize)
        .and_then(|source_line| {
            source_line
                .find(needle)
                .map(|byte| source_line[..byte].chars().count())
        })
        .map_or(pos.column, |chars| {
            u32::try_from(chars + 1).unwrap_or(pos.column)
        });
    Pos { line, column }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_both_styles_and_nothing_else() {
        let text = "https://${HOST_IP}:12443 <cluster-name>-x a < b <= c 2>/dev/null <>";
        let found: Vec<&str> = placeholders(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(found, ["${HOST_IP}", "<cluster-name>"]);
    }
}
