//! Text for people: what every human sink does to a string before it reaches a terminal or a
//! page. Hosts, BMCs and manifests are untrusted: a compromised host's report, an error text
//! or a YAML string with decoded escapes must not rewrite or hide lines on the operator's
//! terminal, so control characters are shown, never obeyed. Fixes are commands people copy:
//! a `code span` in a hint stands on its own line and is never wrapped.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Shows control characters as escapes (`\x1b`, `\n`, `\u{202e}`): C0 and C1 controls, DEL,
/// and the bidirectional overrides that reorder what a terminal displays.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c) {
            shown.push(c);
            continue;
        }
        match c {
            '\n' => shown.push_str("\\n"),
            '\r' => shown.push_str("\\r"),
            '\t' => shown.push(' '),
            c if (c as u32) < 0x100 => {
                let _ = write!(shown, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(shown, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(shown)
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A piece of a hint: words that may wrap, or a command that must stay whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Prose(&'a str),
    Code(&'a str),
}

/// Splits a hint at the `code spans` that are commands (more than one word); a one-word span
/// (`${VAR}`, `maxSurge`) stays inline. Parentheses around a command go with it. An unbalanced
/// backtick is prose.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut prose_start = 0;
    let mut search = 0;
    while let Some(start) = text[search..].find('`').map(|at| search + at) {
        let Some(length) = text[start + 1..].find('`') else {
            break;
        };
        let end = start + 1 + length;
        let code = text[start + 1..end].trim();
        if !code.contains(char::is_whitespace) {
            search = end + 1;
            continue;
        }
        let before = text[prose_start..start]
            .trim()
            .trim_end_matches('(')
            .trim_end();
        if !before.is_empty() {
            pieces.push(Piece::Prose(before));
        }
        pieces.push(Piece::Code(code));
        prose_start = end + 1;
        if text[prose_start..].trim_start().starts_with(')') {
            prose_start = text[prose_start..]
                .find(')')
                .map_or(prose_start, |at| prose_start + at + 1);
        }
        // The command stands on its own line, so the separator that followed it in the
        // sentence (", then reboot", "; Ubuntu: …") would start the next line: drop it.
        let after = &text[prose_start..];
        let separator = after.len() - after.trim_start_matches([',', ';', ' ']).len();
        prose_start += separator;
        search = prose_start;
    }
    let rest = text[prose_start..].trim();
    if !rest.is_empty() {
        pieces.push(Piece::Prose(rest));
    }
    pieces
}

/// `text` wrapped to `width` columns, starting at column `indent` and every further line
/// indented by `indent` columns; words are never split (a long check ID or path overflows
/// rather than breaks).
pub fn wrap(text: &str, width: usize, indent: usize) -> String {
    wrap_hanging(text, width, indent, indent)
}

/// [`wrap`] for text whose first line starts at column `first` (after a heading) and whose
/// further lines are indented by `indent`.
pub fn wrap_hanging(text: &str, width: usize, first: usize, indent: usize) -> String {
    let escaped = escape(text);
    let width = width.max(first + 20).max(indent + 20);
    let lead = " ".repeat(first);
    let pad = " ".repeat(indent);
    let options = textwrap::Options::new(width)
        .initial_indent(&lead)
        .subsequent_indent(&pad)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    let mut wrapped = textwrap::fill(&escaped, options);
    wrapped.drain(..first.min(wrapped.len()));
    wrapped
}

/// A hint laid out for copying: prose wrapped to `width` with `indent`, each command on a line
/// of its own, indented two more columns and never wrapped.
pub fn fix_lines(text: &str, width: usize, indent: usize) -> Vec<String> {
    let pad = " ".repeat(indent);
    let mut lines = Vec::new();
    for piece in pieces(text) {
        match piece {
            Piece::Prose(words) => {
                let wrapped = wrap(words, width, indent);
                lines.extend(
                    wrapped
                        .lines()
                        .map(|line| format!("{pad}{}", line.trim_start())),
                );
            }
            Piece::Code(command) => lines.push(format!("{pad}  {}", escape(command))),
        }
    }
    lines
}

/// Names grouped into runs: `node-004…node-037` for consecutive numbers of one prefix, the
/// rest listed; at most `shown` runs, then `and N more`. Order is kept as given.
pub fn ranges(names: &[&str], shown: usize) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (index, name) in names.iter().enumerate() {
        if let Some(last) = runs.last_mut()
            && follows(names[last.1], name)
        {
            last.1 = index;
            continue;
        }
        runs.push((index, index));
    }
    let mut parts: Vec<String> = Vec::new();
    let mut counted = 0;
    for (first, last) in &runs {
        if parts.len() == shown {
            break;
        }
        counted += last - first + 1;
        parts.push(match last - first {
            0 => escape(names[*first]).into_owned(),
            1 => format!("{}, {}", escape(names[*first]), escape(names[*last])),
            _ => format!("{}…{}", escape(names[*first]), escape(names[*last])),
        });
    }
    let rest = names.len() - counted;
    let mut text = parts.join(", ");
    if rest > 0 {
        let _ = write!(text, " and {rest} more");
    }
    text
}

/// `node-005` follows `node-004`: same prefix, same width of digits, number plus one.
fn follows(previous: &str, name: &str) -> bool {
    let split = |text: &str| {
        let digits = text.len() - text.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (prefix, number) = text.split_at(text.len() - digits);
        (prefix.to_owned(), number.to_owned())
    };
    let (prefix_a, number_a) = split(previous);
    let (prefix_b, number_b) = split(name);
    if number_a.is_empty() || prefix_a != prefix_b {
        return false;
    }
    // Widths must match for zero-padded names; unpadded ones may grow (9 → 10).
    let padded = number_a.starts_with('0') || number_b.starts_with('0');
    if padded && number_a.len() != number_b.len() {
        return false;
    }
    match (number_a.parse::<u128>(), number_b.parse::<u128>()) {
        (Ok(a), Ok(b)) => a.checked_add(1) == Some(b),
        _ => false,
    }
}

/// The display width of `text` in columns.
pub fn width(text: &str) -> usize {
    textwrap::core::display_width(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(escape("plain ünïcode"), "plain ünïcode");
        assert_eq!(
            escape("ok\x1b[2K\rFAIL\nnext\u{9b}\u{202e}evil"),
            "ok\\x1b[2K\\rFAIL\\nnext\\x9b\\u{202e}evil"
        );
        assert!(matches!(escape("nothing to do"), Cow::Borrowed(_)));
    }

    #[test]
    fn code_spans_are_their_own_pieces() {
        assert_eq!(
            pieces("run `swapoff -a`, then edit /etc/fstab"),
            [
                Piece::Prose("run"),
                Piece::Code("swapoff -a"),
                Piece::Prose("then edit /etc/fstab")
            ]
        );
        assert_eq!(pieces("no code"), [Piece::Prose("no code")]);
        assert_eq!(pieces("odd ` tick"), [Piece::Prose("odd ` tick")]);
        assert_eq!(
            pieces("`${VIP}` was not expanded: use the heredoc (`cat > f <<EOF`) with it"),
            [
                Piece::Prose("`${VIP}` was not expanded: use the heredoc"),
                Piece::Code("cat > f <<EOF"),
                Piece::Prose("with it")
            ]
        );
    }

    #[test]
    fn commands_are_never_wrapped_and_words_never_split() {
        let hint = "remove the swap lines from /etc/fstab so swap stays off after a reboot, and \
                    first `swapoff -a && sed -i.bak '/ swap / s/^/#/' /etc/fstab` now";
        let lines = fix_lines(hint, 40, 6);
        assert!(lines.iter().all(|line| line.starts_with("      ")));
        let command = lines.iter().find(|line| line.contains("swapoff")).unwrap();
        assert_eq!(
            command.trim(),
            "swapoff -a && sed -i.bak '/ swap / s/^/#/' /etc/fstab"
        );
        let long = "kernel.modules-conntrack-and-a-very-long-identifier-that-cannot-break";
        assert_eq!(wrap(long, 20, 0), long);
    }

    #[test]
    fn consecutive_names_collapse_into_ranges() {
        let names: Vec<String> = (4..=37).map(|n| format!("node-{n:03}")).collect();
        let mut all: Vec<&str> = names.iter().map(String::as_str).collect();
        all.push("cp-1");
        all.push("cp-2");
        all.push("db");
        assert_eq!(ranges(&all, 6), "node-004…node-037, cp-1, cp-2, db");
        assert_eq!(ranges(&["a", "b", "c"], 2), "a, b and 1 more");
        assert_eq!(ranges(&["w9", "w10", "w11"], 6), "w9…w11");
        assert_eq!(ranges(&["n09", "n10"], 6), "n09, n10");
        assert_eq!(ranges(&["n099", "n100"], 6), "n099, n100");
        assert_eq!(ranges(&["x-1", "y-2"], 6), "x-1, y-2");
    }
}
