//! A YAML tree that remembers where every key and value is written, so that a finding can point
//! at the offending field's line rather than at the document. Built from the events of
//! granit-parser (pure safe Rust, fuzzed, nesting limits), with our own rules on top: duplicate
//! keys are errors (kubectl rejects them too) and alias expansion has a budget.

use std::collections::HashMap;
use std::fmt;

use granit_parser::{Event, Marker, Parser, ScalarStyle, Span};

/// A position in a source text: 1-based line, 1-based column (in characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    fn from_marker(marker: &Marker) -> Pos {
        Pos {
            line: saturate(marker.line()),
            column: saturate(marker.col() + 1),
        }
    }
}

fn saturate(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    /// Where the node's content starts (for a block scalar: its first content line).
    pub pos: Pos,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    pub text: String,
    pub style: ScalarStyle,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    /// Where the key is written: the line a person looks at for this field.
    pub key_pos: Pos,
    pub value: Node,
}

/// One YAML document of a stream, with the lines it spans (for inline ignore comments).
#[derive(Clone, Debug)]
pub struct Document {
    pub root: Node,
    pub first_line: u32,
    pub last_line: u32,
}

/// Why a text could not be read as YAML, with where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} column {}: {}",
            self.pos.line, self.pos.column, self.message
        )
    }
}

impl std::error::Error for SyntaxError {}

impl Node {
    pub fn str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(scalar) => Some(&scalar.text),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().find(|entry| entry.key == key)
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// A scalar as an integer (YAML 1.2 core schema: decimal, with sign).
    pub fn int(&self) -> Option<i64> {
        match &self.value {
            Value::Scalar(scalar) if scalar.style == ScalarStyle::Plain => scalar.text.parse().ok(),
            _ => None,
        }
    }

    /// A plain `true`/`false` scalar.
    pub fn bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar(scalar) if scalar.style == ScalarStyle::Plain => {
                match scalar.text.as_str() {
                    "true" | "True" | "TRUE" => Some(true),
                    "false" | "False" | "FALSE" => Some(false),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Every scalar of the tree with its position and path, depth first in source order.
    pub fn walk_scalars<'a>(
        &'a self,
        path: &mut Vec<PathPart<'a>>,
        visit: &mut dyn FnMut(&[PathPart<'a>], Pos, &'a Scalar),
    ) {
        match &self.value {
            Value::Scalar(scalar) => visit(path, self.pos, scalar),
            Value::Null => {}
            Value::Seq(items) => {
                for (index, item) in items.iter().enumerate() {
                    path.push(PathPart::Index(index));
                    item.walk_scalars(path, visit);
                    path.pop();
                }
            }
            Value::Map(entries) => {
                for entry in entries {
                    path.push(PathPart::Key(&entry.key));
                    entry.value.walk_scalars(path, visit);
                    path.pop();
                }
            }
        }
    }
}

/// One step of a field path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathPart<'a> {
    Key(&'a str),
    Index(usize),
}

/// `spec.rolloutStrategy.rollingUpdate.maxSurge`, `spec.machineInventories[2].hostname`,
/// `metadata.annotations[cpaas.io/registry-address]`: keys that are not plain identifiers go in
/// brackets so the path stays unambiguous.
pub fn dotted(path: &[PathPart<'_>]) -> String {
    let mut out = String::new();
    for part in path {
        match part {
            PathPart::Index(index) => {
                out.push('[');
                out.push_str(&index.to_string());
                out.push(']');
            }
            PathPart::Key(key) => {
                let plain = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if plain {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                } else {
                    out.push('[');
                    out.push_str(key);
                    out.push(']');
                }
            }
        }
    }
    out
}

/// How much alias expansion may add beyond what is written in the text, in bytes of the
/// tree it builds: a "billion laughs" of small nodes and a few aliases of one huge scalar (a
/// 1.3 MB file once asked for 4 GB) both fail quickly instead of exhausting memory.
const ALIAS_BUDGET: usize = 32 * 1024 * 1024;

/// What one node costs in the tree besides its text (the enum, position, vector slot).
const NODE_WEIGHT: usize = 64;

/// Parses a YAML stream (or JSON, which is YAML) into its documents.
pub fn parse_stream(text: &str) -> Result<Vec<Document>, SyntaxError> {
    let mut builder = Builder {
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
        alias_budget: ALIAS_BUDGET,
    };
    builder.stream()
}

struct Builder<'input> {
    parser: Parser<'input, granit_parser::StrInput<'input>>,
    /// Anchored nodes of the current document, with their weight in bytes.
    anchors: HashMap<usize, (Node, usize)>,
    alias_budget: usize,
}

type Next<'input> = (Event<'input>, Span);

impl<'input> Builder<'input> {
    fn next(&mut self) -> Result<Next<'input>, SyntaxError> {
        match self.parser.next_event() {
            Some(Ok(event)) => Ok(event),
            Some(Err(error)) => Err(SyntaxError {
                pos: Pos::from_marker(error.marker()),
                message: error.info(),
            }),
            None => Err(SyntaxError {
                pos: Pos::default(),
                message: "unexpected end of input".to_owned(),
            }),
        }
    }

    fn stream(&mut self) -> Result<Vec<Document>, SyntaxError> {
        let mut documents = Vec::new();
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart => {}
                Event::StreamEnd => return Ok(documents),
                Event::DocumentStart(..) => {
                    self.anchors.clear();
                    let first_line = Pos::from_marker(&span.start).line;
                    let (event, span) = self.next()?;
                    let (root, _) = self.node(event, span)?;
                    let (end, end_span) = self.next()?;
                    if !matches!(end, Event::DocumentEnd) {
                        return Err(unexpected(&end_span, "the end of the document"));
                    }
                    let last_line = Pos::from_marker(&end_span.end).line.max(first_line);
                    documents.push(Document {
                        root,
                        first_line,
                        last_line,
                    });
                }
                _ => return Err(unexpected(&span, "a document")),
            }
        }
    }

    /// Builds the node that starts with `event`; returns it with its weight in bytes.
    fn node(&mut self, event: Event<'input>, span: Span) -> Result<(Node, usize), SyntaxError> {
        let pos = Pos::from_marker(&span.start);
        match event {
            Event::Scalar(text, style, anchor, _tag) => {
                let value = if style == ScalarStyle::Plain
                    && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL")
                {
                    Value::Null
                } else {
                    Value::Scalar(Scalar {
                        text: text.into_owned(),
                        style,
                    })
                };
                let weight = NODE_WEIGHT + text_len(&value);
                let node = Node { value, pos };
                self.remember(anchor, &node, weight);
                Ok((node, weight))
            }
            Event::SequenceStart(_, anchor, _tag) => {
                let mut items = Vec::new();
                let mut size = NODE_WEIGHT;
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    let (item, item_size) = self.node(event, span)?;
                    size = size.saturating_add(item_size);
                    items.push(item);
                }
                let node = Node {
                    value: Value::Seq(items),
                    pos,
                };
                self.remember(anchor, &node, size);
                Ok((node, size))
            }
            Event::MappingStart(_, anchor, _tag) => {
                let mut entries: Vec<Entry> = Vec::new();
                // Key → index into `entries`, so that duplicate detection stays linear in a
                // mapping of many keys (a scan per key took minutes on 100,000 keys).
                let mut seen: HashMap<String, usize> = HashMap::new();
                let mut size = NODE_WEIGHT;
                loop {
                    let (event, key_span) = self.next()?;
                    if matches!(event, Event::MappingEnd) {
                        break;
                    }
                    let key_pos = Pos::from_marker(&key_span.start);
                    let (key_node, key_size) = self.node(event, key_span)?;
                    let key = match key_node.value {
                        Value::Scalar(scalar) => scalar.text,
                        Value::Null => String::new(),
                        Value::Seq(_) | Value::Map(_) => {
                            return Err(SyntaxError {
                                pos: key_pos,
                                message: "a mapping key must be a scalar in a Kubernetes manifest"
                                    .to_owned(),
                            });
                        }
                    };
                    if let Some(&first) = seen.get(&key) {
                        return Err(SyntaxError {
                            pos: key_pos,
                            message: format!(
                                "duplicate key `{key}` (first at line {}); kubectl rejects it and \
                                 other tools silently keep one of the two",
                                entries[first].key_pos.line
                            ),
                        });
                    }
                    seen.insert(key.clone(), entries.len());
                    let (event, span) = self.next()?;
                    let (value, value_size) = self.node(event, span)?;
                    size = size.saturating_add(key_size).saturating_add(value_size);
                    entries.push(Entry {
                        key,
                        key_pos,
                        value,
                    });
                }
                let node = Node {
                    value: Value::Map(entries),
                    pos,
                };
                self.remember(anchor, &node, size);
                Ok((node, size))
            }
            Event::Alias(anchor) => {
                let Some((node, size)) = self.anchors.get(&anchor) else {
                    return Err(SyntaxError {
                        pos,
                        message: "alias to an unknown anchor".to_owned(),
                    });
                };
                if *size > self.alias_budget {
                    return Err(SyntaxError {
                        pos,
                        message: format!(
                            "aliases expand to more than {} MiB (a \"billion laughs\" \
                             document?)",
                            ALIAS_BUDGET / (1024 * 1024)
                        ),
                    });
                }
                self.alias_budget -= size;
                Ok((node.clone(), *size))
            }
            _ => Err(unexpected(&span, "a value")),
        }
    }

    fn remember(&mut self, anchor: usize, node: &Node, size: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
    }
}

fn text_len(value: &Value) -> usize {
    match value {
        Value::Scalar(scalar) => scalar.text.len(),
        _ => 0,
    }
}

fn unexpected(span: &Span, wanted: &str) -> SyntaxError {
    SyntaxError {
        pos: Pos::from_marker(&span.start),
        message: format!("unexpected YAML structure where {wanted} was expected"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_keep_their_lines() {
        let docs =
            parse_stream("a: 1\nb:\n  c: x\n  d: [1, 2]\n---\ne: |\n  one\n  two\n").unwrap();
        assert_eq!(docs.len(), 2);
        let b = docs[0].root.entry("b").unwrap();
        assert_eq!(b.key_pos, Pos { line: 2, column: 1 });
        let d = b.value.entry("d").unwrap();
        assert_eq!(d.key_pos, Pos { line: 4, column: 3 });
        assert_eq!(
            d.value.items()[1].pos,
            Pos {
                line: 4,
                column: 10
            }
        );
        assert_eq!(docs[1].root.get("e").unwrap().str(), Some("one\ntwo\n"));
        assert_eq!(docs[1].first_line, 5);
    }

    #[test]
    fn duplicate_keys_are_errors_with_both_lines() {
        let error = parse_stream("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(error.pos, Pos { line: 3, column: 1 });
        assert!(
            error.message.contains("first at line 1"),
            "{}",
            error.message
        );
    }

    #[test]
    fn tabs_in_indentation_are_errors_with_position() {
        let error = parse_stream("a:\n\tb: 1\n").unwrap_err();
        assert_eq!(error.pos.line, 2, "{error}");
    }

    #[test]
    fn alias_bombs_stop() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..12 {
            let prev = level - 1;
            text.push_str(&format!(
                "a{level}: &a{level} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let error = parse_stream(&text).unwrap_err();
        assert!(
            error.message.contains("aliases expand to more than"),
            "{error}"
        );
    }

    #[test]
    fn aliases_of_one_huge_scalar_stop_by_size_not_count() {
        // A few hundred aliases (far below any node count) of a 1 MB string: gigabytes.
        let mut text = format!("big: &big \"{}\"\nlist:\n", "x".repeat(1024 * 1024));
        for _ in 0..300 {
            text.push_str("- *big\n");
        }
        let error = parse_stream(&text).unwrap_err();
        assert!(error.message.contains("more than 32 MiB"), "{error}");
        // A few aliases of it are fine.
        let small = format!(
            "big: &big \"{}\"\nuse: [*big, *big]\n",
            "x".repeat(1024 * 1024)
        );
        assert!(parse_stream(&small).is_ok());
    }

    #[test]
    fn paths_read_well() {
        let path = [
            PathPart::Key("metadata"),
            PathPart::Key("annotations"),
            PathPart::Key("cpaas.io/registry-address"),
        ];
        assert_eq!(
            dotted(&path),
            "metadata.annotations[cpaas.io/registry-address]"
        );
        let path = [
            PathPart::Key("spec"),
            PathPart::Key("pools"),
            PathPart::Index(2),
        ];
        assert_eq!(dotted(&path), "spec.pools[2]");
    }
}

#[cfg(test)]
mod block_position {
    use super::*;

    #[test]
    fn block_scalar_position() {
        let docs = parse_stream("a:\n  k: |\n    one\n    two\n").unwrap();
        let k = docs[0].root.get("a").unwrap().entry("k").unwrap();
        assert_eq!(
            (k.key_pos, k.value.pos),
            (Pos { line: 2, column: 3 }, Pos { line: 3, column: 5 })
        );
    }
}
