//! Which source lines lint must never echo. Manifests hold private keys (a Secret's `tls.key`,
//! `sa.key`), passwords and tokens; a finding or a syntax error on such a line once printed
//! 150 characters of it — 24 of an ECDSA key's 32 private bytes. A line is withheld when its
//! key or any enclosing key looks like secret material, when it lies inside a Secret's `data`
//! or `stringData`, or when its text is part of a PEM private key or a registration token URL.
//! Works on raw lines, by indentation, so it also protects lines of a file that did not parse.

/// The key to name instead of the line at `index`, when that line may hold a secret.
pub fn sensitive_key(lines: &[&str], index: usize) -> Option<String> {
    let line = lines.get(index)?;
    let own = key_of(line).or_else(|| parent_key(lines, index));
    let name = || own.clone().unwrap_or_else(|| "the value".to_owned());
    if line.contains("PRIVATE KEY") || line.contains("/elemental/registration/") {
        return Some(name());
    }
    if own.as_deref().is_some_and(secret_key_name) {
        return Some(name());
    }
    let in_secret = document_is_secret(lines, index);
    let mut indent = indentation(line);
    for ancestor in lines[..index].iter().rev() {
        if ancestor.trim().is_empty() || ancestor.trim_start().starts_with('#') {
            continue;
        }
        if is_document_start(ancestor) {
            break;
        }
        let level = indentation(ancestor);
        if level >= indent {
            continue;
        }
        indent = level;
        if let Some(key) = key_of(ancestor) {
            if secret_key_name(&key) || (in_secret && (key == "data" || key == "stringData")) {
                return Some(own.unwrap_or(key));
            }
            // Inside a block scalar of a private key the content lines have no key of their own.
            if ancestor.contains("PRIVATE KEY") {
                return Some(name());
            }
        }
        if level == 0 {
            break;
        }
    }
    None
}

/// The key of the nearest less indented line: whose value a keyless line (a line of a block
/// scalar or a list) is part of.
fn parent_key(lines: &[&str], index: usize) -> Option<String> {
    let indent = indentation(lines[index]);
    lines[..index]
        .iter()
        .rev()
        .filter(|line| !line.trim().is_empty())
        .find(|line| indentation(line) < indent)
        .and_then(|line| key_of(line))
}

/// `tls.key`, `password`, `clientSecret`, `token`, `privateKey`: names of secret material.
fn secret_key_name(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key == "key"
        || key.ends_with(".key")
        || key.ends_with("secret")
        || [
            "password",
            "passwd",
            "passphrase",
            "token",
            "private",
            "apikey",
            "api_key",
            "api-key",
        ]
        .iter()
        .any(|word| key.contains(word))
}

/// The mapping key a YAML or JSON line starts with (`tls.key: …`, `- name: …`, `"a": 1`).
fn key_of(line: &str) -> Option<String> {
    let text = line.trim_start().trim_start_matches("- ").trim_start();
    let (key, rest) = if let Some(quoted) = text.strip_prefix('"') {
        let end = quoted.find('"')?;
        (&quoted[..end], &quoted[end + 1..])
    } else if let Some(quoted) = text.strip_prefix('\'') {
        let end = quoted.find('\'')?;
        (&quoted[..end], &quoted[end + 1..])
    } else {
        let end = text.find(':')?;
        (&text[..end], &text[end..])
    };
    let rest = rest.trim_start();
    let colon = rest.starts_with(':') && rest[1..].chars().next().is_none_or(char::is_whitespace);
    (colon && !key.is_empty() && !key.contains(char::is_whitespace)).then(|| key.to_owned())
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

fn is_document_start(line: &str) -> bool {
    line.starts_with("---") || line.starts_with("...")
}

/// Whether the YAML document (between `---` lines) around `index` declares a Secret anywhere
/// (a `List` of live objects counts when one of its items is a Secret).
fn document_is_secret(lines: &[&str], index: usize) -> bool {
    let start = lines[..index]
        .iter()
        .rposition(|line| is_document_start(line))
        .map_or(0, |at| at + 1);
    let end = lines[index..]
        .iter()
        .position(|line| is_document_start(line))
        .map_or(lines.len(), |at| index + at);
    lines[start..end].iter().any(|line| {
        let text = line.trim().trim_start_matches("- ").trim();
        text == "kind: Secret" || text.replace(' ', "").starts_with("\"kind\":\"Secret\"")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn withheld(text: &str, line: usize) -> Option<String> {
        let lines: Vec<&str> = text.lines().collect();
        sensitive_key(&lines, line - 1)
    }

    const SECRET: &str = "\
apiVersion: v1
kind: Secret
metadata:
  name: dex.tls
  namespace: cpaas-system
data:
  tls.crt: LS0tLS1CRUdJTg==
  ca.crt: LS0tLS1CRUdJTg==
  tls.key: LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0t
stringData:
  note: hello
---
apiVersion: v1
kind: ConfigMap
data:
  resources.yaml: |
    kind: Cluster
";

    #[test]
    fn secret_lines_are_named_not_shown() {
        assert_eq!(withheld(SECRET, 9).as_deref(), Some("tls.key"));
        // Every value of a Secret's data, even a certificate, and stringData.
        assert_eq!(withheld(SECRET, 7).as_deref(), Some("tls.crt"));
        assert_eq!(withheld(SECRET, 11).as_deref(), Some("note"));
        // Not the metadata, and not a ConfigMap's data.
        assert_eq!(withheld(SECRET, 4), None);
        assert_eq!(withheld(SECRET, 17), None);
    }

    #[test]
    fn keys_passwords_tokens_and_pem_blocks_anywhere() {
        let text = "\
spec:
  password: hunter2
  clientSecret: abc
  caCertSecretName: dex.tls
  sa.key: |
    -----BEGIN PRIVATE KEY-----
    MIIEvQIBADANBgkqhkiG9w0BAQEFAASC
  url: https://10.0.0.5:12443/elemental/registration/abcdef0123456789
  name: fine
";
        assert_eq!(withheld(text, 2).as_deref(), Some("password"));
        assert_eq!(withheld(text, 3).as_deref(), Some("clientSecret"));
        assert_eq!(withheld(text, 4), None);
        assert_eq!(withheld(text, 6).as_deref(), Some("sa.key"));
        assert_eq!(withheld(text, 7).as_deref(), Some("sa.key"));
        assert_eq!(withheld(text, 8).as_deref(), Some("url"));
        assert_eq!(withheld(text, 9), None);
    }

    #[test]
    fn json_keys_are_read_too() {
        let text = "{\n  \"kind\": \"Secret\",\n  \"data\": {\n    \"tls.key\": \"AAAA\"\n  }\n}";
        assert_eq!(withheld(text, 4).as_deref(), Some("tls.key"));
    }
}
