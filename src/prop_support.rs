//! What the property tests of several parsers share.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// The documented shape of an error about the file `path` holding `text`:
/// `path:line: message` with a line that exists (or `path: message`), a
/// message that says something, and one line when the text is printable
/// and has no escapes (an escaped newline in a TOML string may show).
pub(crate) fn file_error_shape(
    path: &str,
    text: &str,
    line: Option<usize>,
    message: &str,
    rendered: &str,
) -> Result<(), TestCaseError> {
    prop_assert!(!message.is_empty());
    match line {
        Some(l) => {
            let lines = text.matches('\n').count() + 1;
            prop_assert!(
                l >= 1 && l <= lines,
                "line {} of {}: {}",
                l,
                lines,
                rendered
            );
            let head = format!("{path}:{l}: ");
            prop_assert!(rendered.starts_with(&head), "{}", rendered);
        }
        None => {
            let head = format!("{path}: ");
            prop_assert!(rendered.starts_with(&head), "{}", rendered);
        }
    }
    if text.chars().all(|c| c == '\n' || !c.is_control()) && !text.contains('\\') {
        prop_assert!(!rendered.contains(['\n', '\r']), "{:?}", rendered);
    }
    Ok(())
}
