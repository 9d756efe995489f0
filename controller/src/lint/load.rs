//! Reading what the user would `kubectl apply -f`: files, directories (recursively, `*.yaml`,
//! `*.yml`, `*.json`) and `-` for standard input, split into objects. Anything unreadable
//! becomes a [`LoadError`] with the position, never a panic: the run goes on with the rest and
//! exits 2.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::object::{INSTALLER_REQUEST, Object, Source};
use super::tree::{self, Node, Pos, Value};

/// Inputs larger than this are refused rather than parsed: the largest real input (`kubectl
/// get -o yaml` of a thousand MachineInventories with their status) is a few MiB, and the
/// tree of a file costs about 17 times its size (a 200 MB manifest took 3.5 GB and 38 s).
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// How deep a directory walk goes; stops symlink loops.
const MAX_DEPTH: usize = 32;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    /// Where in the file, when the problem has a place (syntax, encoding).
    pub pos: Option<Pos>,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pos {
            Some(pos) => write!(
                f,
                "{}:{}:{}: {}",
                self.file, pos.line, pos.column, self.message
            ),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

#[derive(Debug, Default)]
pub struct Loaded {
    pub objects: Vec<Object>,
    pub errors: Vec<LoadError>,
    /// Every input that decoded as text, to show source lines (also of syntax errors).
    pub sources: Vec<Arc<Source>>,
    pub files: usize,
}

/// Loads every input path in order; `-` reads `stdin`.
pub fn load_paths(paths: &[PathBuf], stdin: &mut dyn Read) -> Loaded {
    let mut loaded = Loaded::default();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            match stdin.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes) {
                Ok(_) => load_bytes("-", &bytes, &mut loaded),
                Err(error) => loaded
                    .errors
                    .push(plain_error("-", format!("cannot read: {error}"))),
            }
            continue;
        }
        let mut files = Vec::new();
        if let Err(error) = collect(path, 0, true, &mut files) {
            loaded.errors.push(error);
        }
        for file in files {
            load_file(&file, &mut loaded);
        }
    }
    loaded
}

fn collect(
    path: &Path,
    depth: usize,
    named: bool,
    out: &mut Vec<PathBuf>,
) -> Result<(), LoadError> {
    let name = path.display().to_string();
    let metadata = fs::metadata(path)
        .map_err(|error| plain_error(&name, format!("cannot read: {}", io_reason(&error))))?;
    if metadata.is_dir() {
        if depth >= MAX_DEPTH {
            return Err(plain_error(
                &name,
                "directories nested too deep (a symlink loop?)",
            ));
        }
        let mut entries: Vec<PathBuf> = fs::read_dir(path)
            .map_err(|error| plain_error(&name, format!("cannot list: {}", io_reason(&error))))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .collect();
        entries.sort();
        for entry in entries {
            collect(&entry, depth + 1, false, out)?;
        }
    } else if named || is_manifest_name(path) {
        out.push(path.to_owned());
    }
    Ok(())
}

fn is_manifest_name(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|extension| extension.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

fn load_file(path: &Path, loaded: &mut Loaded) {
    let name = path.display().to_string();
    // Regular files only: a `*.yaml` FIFO in a directory would block the run forever.
    match ironprep_input::read(path, MAX_INPUT_BYTES) {
        Ok(bytes) => load_bytes(&name, &bytes, loaded),
        Err(ironprep_input::ReadError::Io(error)) => loaded.errors.push(plain_error(
            &name,
            format!("cannot read: {}", io_reason(&error)),
        )),
        Err(ironprep_input::ReadError::TooLarge { .. }) => {
            loaded.errors.push(plain_error(&name, too_large()));
        }
        Err(error) => loaded.errors.push(plain_error(&name, error.to_string())),
    }
}

/// Loads one input's bytes; public for the fuzz target and tests.
pub fn load_bytes(name: &str, bytes: &[u8], loaded: &mut Loaded) {
    loaded.files += 1;
    match decode(bytes) {
        Ok(text) => {
            let source = Arc::new(Source {
                name: name.to_owned(),
                text: text.to_owned(),
            });
            loaded.sources.push(Arc::clone(&source));
            match objects(&source, &mut loaded.errors) {
                Ok(objects) => loaded.objects.extend(objects),
                Err(error) => loaded.errors.push(LoadError {
                    file: name.to_owned(),
                    pos: Some(error.pos),
                    message: error.message,
                }),
            }
        }
        Err((pos, message)) => loaded.errors.push(LoadError {
            file: name.to_owned(),
            pos,
            message,
        }),
    }
}

fn too_large() -> String {
    format!(
        "larger than {}; split the manifests into several files",
        ironprep_input::size_text(MAX_INPUT_BYTES)
    )
}

/// Text, or why not: too large, binary (a NUL byte), not UTF-8 — with where.
fn decode(bytes: &[u8]) -> Result<&str, (Option<Pos>, String)> {
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err((None, too_large()));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(offset) = bytes.iter().position(|&byte| byte == 0) {
        return Err((
            Some(pos_of(bytes, offset)),
            "binary data (a NUL byte), not a YAML or JSON manifest".to_owned(),
        ));
    }
    std::str::from_utf8(bytes).map_err(|error| {
        (
            Some(pos_of(bytes, error.valid_up_to())),
            "not UTF-8 text (a binary file, or another encoding); save it as UTF-8".to_owned(),
        )
    })
}

fn pos_of(bytes: &[u8], offset: usize) -> Pos {
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&byte| byte == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&byte| byte == b'\n')
        .map_or(0, |newline| newline + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    Pos {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
    }
}

/// Splits one source into objects. Unknown kinds are kept (rules ignore them); documents that
/// are not mappings are skipped, as kubectl would reject them anyway. An ignore comment naming
/// no rule goes to `errors`; the objects are still linted.
fn objects(
    source: &Arc<Source>,
    errors: &mut Vec<LoadError>,
) -> Result<Vec<Object>, tree::SyntaxError> {
    let text = source.text.as_str();
    // JSON is YAML, except that YAML forbids tabs where JSON allows them as whitespace. Outside
    // JSON strings a tab is only whitespace, and inside one it is invalid, so this keeps every
    // position and value.
    let json_like = text.trim_start().starts_with(['{', '[']);
    let owned;
    let text = if json_like && text.contains('\t') {
        owned = text.replace('\t', " ");
        owned.as_str()
    } else {
        text
    };
    let documents = tree::parse_stream(text)?;
    // Lines are only indexed when some comment may switch a rule off, once per source.
    let lines: Vec<&str> = if text.contains(IGNORE_MARKER) {
        text.lines().collect()
    } else {
        Vec::new()
    };
    let mut objects = Vec::new();
    let mut previous_end = 0;
    for document in documents {
        let first = (previous_end + 1).min(document.first_line);
        let (ignored, unknown) = ignore_directives(&lines, first, document.last_line);
        errors.extend(unknown.into_iter().map(|(pos, id)| LoadError {
            file: source.name.clone(),
            pos: Some(pos),
            message: format!(
                "`# {IGNORE_MARKER}` names no rule `{id}` (`ironprep lint --list-rules` lists \
                 them; `all` ignores every rule)"
            ),
        }));
        previous_end = document.last_line;
        collect_objects(source, document.root, &ignored, &mut objects);
    }
    Ok(objects)
}

fn collect_objects(source: &Arc<Source>, root: Node, ignored: &[String], out: &mut Vec<Object>) {
    if !matches!(root.value, Value::Map(_)) {
        return;
    }
    let text = |node: &Node, key: &str| node.get(key).and_then(Node::str).unwrap_or("").to_owned();
    let kind = text(&root, "kind");
    if kind.ends_with("List") && root.get("items").is_some() {
        let items = root
            .get("items")
            .map(|items| items.items().to_vec())
            .unwrap_or_default();
        for item in items {
            collect_objects(source, item, ignored, out);
        }
        return;
    }
    let kind = if kind.is_empty() && root.get("console").is_some() && root.get("registry").is_some()
    {
        INSTALLER_REQUEST.to_owned()
    } else {
        kind
    };
    let metadata = root.get("metadata").cloned();
    let meta = |key: &str| {
        metadata
            .as_ref()
            .map(|metadata| text(metadata, key))
            .unwrap_or_default()
    };
    let name = if kind == INSTALLER_REQUEST {
        Path::new(&source.name).file_name().map_or_else(
            || source.name.clone(),
            |name| name.to_string_lossy().into_owned(),
        )
    } else {
        meta("name")
    };
    out.push(Object {
        source: Arc::clone(source),
        api_version: text(&root, "apiVersion"),
        namespace: meta("namespace"),
        name,
        kind,
        pos: root.pos,
        root,
        ignored: ignored.to_vec(),
        cluster: None,
    });
}

const IGNORE_MARKER: &str = "ironprep: ignore";

/// What `# ironprep: ignore` may name besides a rule: every rule of the document.
const IGNORE_ALL: &str = "all";

/// Rule IDs named by `# ironprep: ignore RULE[, RULE…]` comments between `first` and `last`
/// (1-based, inclusive) of `lines`, and where each name that is no rule stands: a mistyped ID
/// would silence nothing, and nobody would notice.
fn ignore_directives(lines: &[&str], first: u32, last: u32) -> (Vec<String>, Vec<(Pos, String)>) {
    let mut ignored = Vec::new();
    let mut unknown = Vec::new();
    let start = (first as usize).saturating_sub(1).min(lines.len());
    let end = (last as usize).min(lines.len()).max(start);
    for (index, line) in lines[start..end].iter().enumerate() {
        let Some(hash) = line.find('#') else { continue };
        let comment = line[hash + 1..].trim_start();
        let Some(rest) = comment.strip_prefix(IGNORE_MARKER) else {
            continue;
        };
        // `rest` and every ID are slices of `line`: their offsets give the column.
        let rest_at = line.len() - rest.len();
        let mut offset = rest_at;
        for id in rest.split([',', ' ', '\t']) {
            let at = offset;
            offset += id.len() + 1;
            if id.is_empty() {
                continue;
            }
            if id != IGNORE_ALL && super::rules::find(id).is_none() {
                let pos = Pos {
                    line: u32::try_from(start + index + 1).unwrap_or(u32::MAX),
                    column: u32::try_from(line[..at].chars().count() + 1).unwrap_or(u32::MAX),
                };
                unknown.push((pos, id.to_owned()));
            }
            ignored.push(id.to_owned());
        }
    }
    (ignored, unknown)
}

fn plain_error(file: &str, message: impl Into<String>) -> LoadError {
    LoadError {
        file: file.to_owned(),
        pos: None,
        message: message.into(),
    }
}

fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &[u8]) -> Loaded {
        let mut loaded = Loaded::default();
        load_bytes("t.yaml", text, &mut loaded);
        loaded
    }

    #[test]
    fn multi_document_streams_become_objects_with_ignores() {
        let loaded = load(
            b"kind: A\nmetadata: {name: a, namespace: ns}\n---\n# ironprep: ignore kcp.replicas, all\nkind: B\nmetadata:\n  name: b\n",
        );
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        assert_eq!(loaded.objects.len(), 2);
        assert_eq!(loaded.objects[0].label(), "A/ns/a");
        assert!(loaded.objects[0].ignored.is_empty());
        assert_eq!(loaded.objects[1].ignored, ["kcp.replicas", "all"]);
        assert_eq!(loaded.objects[1].pos.line, 5);
    }

    #[test]
    fn an_ignore_comment_naming_no_rule_is_an_error_at_the_name() {
        let loaded = load(
            b"kind: A\nmetadata: {name: a}\n---\nkind: B  # ironprep: ignore kcp.replicas,\tx.y  z.w\n",
        );
        let errors: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            [
                "t.yaml:4:43: `# ironprep: ignore` names no rule `x.y` (`ironprep lint \
                 --list-rules` lists them; `all` ignores every rule)",
                "t.yaml:4:48: `# ironprep: ignore` names no rule `z.w` (`ironprep lint \
                 --list-rules` lists them; `all` ignores every rule)",
            ]
        );
        // The file is still linted, the known rule still ignored.
        assert_eq!(loaded.objects.len(), 2);
        assert!(
            loaded.objects[1]
                .ignored
                .contains(&"kcp.replicas".to_owned())
        );
    }

    #[test]
    fn binary_and_non_utf8_inputs_are_errors_with_position() {
        let loaded = load(b"kind: A\nname: \x00\x01\x02");
        assert_eq!(loaded.errors[0].pos, Some(Pos { line: 2, column: 7 }));
        let loaded = load(b"a: 1\nb: \xff\xfe");
        assert_eq!(loaded.errors[0].pos, Some(Pos { line: 2, column: 4 }));
        assert!(loaded.errors[0].message.contains("UTF-8"));
    }

    #[test]
    fn json_with_tabs_is_read_as_the_installer_request() {
        let loaded = load(b"{\n\t\"console\": {\"host\": []},\n\t\"registry\": {}\n}\n");
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        assert_eq!(loaded.objects[0].kind, INSTALLER_REQUEST);
        assert_eq!(loaded.objects[0].field(&["registry"]).unwrap().pos.line, 3);
    }

    #[test]
    fn lists_are_expanded() {
        let loaded = load(b"kind: List\nitems:\n- kind: A\n  metadata: {name: a}\n- kind: B\n");
        let kinds: Vec<&str> = loaded.objects.iter().map(|o| o.kind.as_str()).collect();
        assert_eq!(kinds, ["A", "B"]);
    }
}
