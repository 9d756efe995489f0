//! Shell completions and the man page, generated from the command line definition: the bash
//! script loads in a real bash and completes subcommands and options; the page renders.

use std::process::Command;

fn ironprep(arguments: &[&str]) -> std::process::Output {
    Command::new(ironprep_e2e::ironprep())
        .args(arguments)
        .output()
        .unwrap()
}

/// Runs the generated completion function as bash's programmable completion would for `words`,
/// the last one being completed, and returns the candidates.
fn complete_in_bash(words: &[&str]) -> Vec<String> {
    let script = ironprep(&["completions", "bash"]);
    assert_eq!(script.status.code(), Some(0));
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("ironprep.bash");
    std::fs::write(&path, &script.stdout).unwrap();
    let quoted: Vec<String> = words.iter().map(|word| format!("'{word}'")).collect();
    let program = format!(
        "source '{}' || exit 9\n\
         complete -p ironprep >/dev/null || exit 8\n\
         COMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE='{}'\nCOMP_POINT=${{#COMP_LINE}}\n\
         _ironprep ironprep '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display(),
        quoted.join(" "),
        words.len() - 1,
        words.join(" "),
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_subcommands_and_their_options() {
    assert_eq!(complete_in_bash(&["ironprep", "ch"]), ["check"]);
    let candidates = complete_in_bash(&["ironprep", "check", "--ex"]);
    assert!(
        candidates.iter().any(|word| word == "--explain"),
        "{candidates:?}"
    );
    let bmc = complete_in_bash(&["ironprep", "bmc", ""]);
    assert!(bmc.iter().any(|word| word == "check"), "{bmc:?}");
}

#[test]
fn zsh_and_fish_scripts_name_the_subcommands() {
    for shell in ["zsh", "fish"] {
        let output = ironprep(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(
            script.contains("ironprep") && script.contains("lint") && script.contains("explain"),
            "{shell}: {script}"
        );
    }
    assert_eq!(ironprep(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn the_man_page_renders_with_every_subcommand() {
    let output = ironprep(&["man"]);
    assert_eq!(output.status.code(), Some(0));
    let page = String::from_utf8(output.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH ironprep"),
        "{}",
        &page[..200.min(page.len())]
    );
    let Ok(rendered) = Command::new("groff")
        .args(["-man", "-Tutf8", "-P-cbou"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(page.as_bytes())?;
            child.wait_with_output()
        })
    else {
        eprintln!("groff is not installed: the page was only checked as text");
        return;
    };
    assert!(rendered.status.success());
    let text = String::from_utf8_lossy(&rendered.stdout);
    for part in [
        "IRONPREP CHECK",
        "IRONPREP BMC CHECK",
        "IRONPREP LINT",
        "--explain",
    ] {
        assert!(text.contains(part), "{part} not in the rendered page");
    }
}
