//! One manifest object (or the installer request) as the rules see it: kind, name, namespace,
//! its tree, the file it came from and the rules a comment in its document switches off.

use std::sync::Arc;

use granit_parser::ScalarStyle;

use super::tree::{self, Node, PathPart, Pos, SyntaxError, Value};

/// The text of one input, kept to show the offending line under a finding.
#[derive(Debug)]
pub struct Source {
    /// The path as the user wrote it (or `-` for standard input).
    pub name: String,
    pub text: String,
}

/// The pseudo-kind given to the installer request JSON, which has no `kind` of its own.
pub const INSTALLER_REQUEST: &str = "InstallerRequest";

#[derive(Clone, Debug)]
pub struct Object {
    pub source: Arc<Source>,
    pub kind: String,
    pub api_version: String,
    pub name: String,
    /// Empty when the manifest does not say (kubectl then uses the current namespace).
    pub namespace: String,
    pub root: Node,
    /// Where the document starts: findings about the object as a whole point here.
    pub pos: Pos,
    /// Rule IDs switched off by `# ironprep: ignore RULE` in the document.
    pub ignored: Vec<String>,
    /// The cluster the object belongs to, worked out over the whole input (see `set`).
    pub cluster: Option<String>,
}

/// A field found in an object: its node and the line of its key.
#[derive(Clone, Copy, Debug)]
pub struct Field<'a> {
    pub node: &'a Node,
    pub pos: Pos,
}

impl Object {
    /// `Kind/namespace/name`, the contract's way of naming an object.
    pub fn label(&self) -> String {
        format!("{}/{}/{}", self.kind, self.namespace, self.name)
    }

    pub fn field(&self, path: &[&str]) -> Option<Field<'_>> {
        field_in(&self.root, self.pos, path)
    }

    pub fn str(&self, path: &[&str]) -> Option<&str> {
        self.field(path).and_then(|field| field.node.str())
    }

    /// Where a missing field would go: the key of its deepest existing ancestor.
    pub fn nearest(&self, path: &[&str]) -> Pos {
        let mut node = &self.root;
        let mut pos = self.pos;
        for key in path {
            match node.entry(key) {
                Some(entry) => {
                    pos = entry.key_pos;
                    node = &entry.value;
                }
                None => break,
            }
        }
        pos
    }

    pub fn annotation(&self, key: &str) -> Option<Field<'_>> {
        self.field(&["metadata", "annotations", key])
    }

    pub fn label_value(&self, key: &str) -> Option<&str> {
        self.str(&["metadata", "labels", key])
    }

    pub fn is(&self, kind: &str) -> bool {
        self.kind == kind
    }
}

/// Looks a path up under `node`; `origin` is the position reported for an empty path.
pub fn field_in<'a>(node: &'a Node, origin: Pos, path: &[&str]) -> Option<Field<'a>> {
    let mut field = Field { node, pos: origin };
    for key in path {
        let entry = field.node.entry(key)?;
        field = Field {
            node: &entry.value,
            pos: entry.key_pos,
        };
    }
    Some(field)
}

/// The dotted field path of string keys, as findings name it.
pub fn path(keys: &[&str]) -> String {
    let parts: Vec<PathPart<'_>> = keys.iter().map(|key| PathPart::Key(key)).collect();
    tree::dotted(&parts)
}

/// Parses YAML embedded in a string field (the import ConfigMap's `resources.yaml`) and moves
/// every position into the enclosing file, so findings point into the embedded text.
pub fn embedded(field: Field<'_>) -> Result<Node, SyntaxError> {
    let Value::Scalar(scalar) = &field.node.value else {
        return Err(SyntaxError {
            pos: field.pos,
            message: "expected a string holding YAML".to_owned(),
        });
    };
    // A literal block scalar keeps lines one to one, starting where its content starts; other
    // styles cannot be mapped, so their findings point at the key.
    let (line_offset, column_offset) = if scalar.style == ScalarStyle::Literal {
        (Some(field.node.pos.line - 1), field.node.pos.column - 1)
    } else {
        (None, 0)
    };
    let relocate = |pos: Pos| match line_offset {
        Some(offset) => Pos {
            line: pos.line + offset,
            column: pos.column + column_offset,
        },
        None => field.pos,
    };
    let mut documents = tree::parse_stream(&scalar.text).map_err(|error| SyntaxError {
        pos: relocate(error.pos),
        message: error.message,
    })?;
    let mut root = match documents.len() {
        0 => Node {
            value: Value::Null,
            pos: field.pos,
        },
        _ => documents.swap_remove(0).root,
    };
    shift(&mut root, &relocate);
    Ok(root)
}

fn shift(node: &mut Node, relocate: &dyn Fn(Pos) -> Pos) {
    node.pos = relocate(node.pos);
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|item| shift(item, relocate)),
        Value::Map(entries) => {
            for entry in entries {
                entry.key_pos = relocate(entry.key_pos);
                shift(&mut entry.value, relocate);
            }
        }
        Value::Null | Value::Scalar(_) => {}
    }
}
