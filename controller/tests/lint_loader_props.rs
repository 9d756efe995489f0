//! Property tests of the YAML loader (the fuzz target's stand-in in CI): arbitrary bytes and
//! mangled manifests never panic, and every error carries a position inside the input.

use ironprep::lint;
use proptest::prelude::*;

const SEED: &str = include_str!("lint-fixtures/global-baremetal/02-new-global.yaml");

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let result = lint::lint_bytes("fuzz.yaml", &bytes);
        for error in &result.errors {
            if let Some(pos) = error.pos {
                prop_assert!(pos.line >= 1);
            }
        }
    }

    #[test]
    fn mangled_manifests_never_panic(cut in 0..SEED.len(), insert in "[ \t:\\-\\[\\]{}&*!|>'\"#%@`,?a-z0-9\n]{0,12}") {
        let mut text = SEED.as_bytes()[..cut].to_vec();
        text.extend_from_slice(insert.as_bytes());
        text.extend_from_slice(&SEED.as_bytes()[cut..]);
        let result = lint::lint_bytes("fuzz.yaml", &text);
        let lines = text.split(|&b| b == b'\n').count() as u32 + 1;
        for error in &result.errors {
            let pos = error.pos.expect("syntax errors have a position");
            prop_assert!(pos.line >= 1 && pos.line <= lines, "{error}");
        }
    }
}
