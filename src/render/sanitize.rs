//! Text from DNS (TXT records) or from a bounce is hostile: it may carry
//! escape sequences that rewrite a terminal, bidi overrides that reorder what
//! a reader sees, or zero-width characters. Before such text reaches a
//! terminal every such character is shown as a visible `\u{..}` escape.

/// Makes `s` safe to print on a terminal: C0 and C1 control characters
/// (including ESC, CR and newlines), DEL, bidi controls and zero-width
/// characters become `\u{XX}` escapes; everything else is kept.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_dangerous(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}'   // zero-width space/joiners, LRM, RLM
            | '\u{2028}'..='\u{202e}' // line/paragraph separators, bidi embeddings and overrides
            | '\u{2060}'..='\u{2069}' // word joiner, invisible operators, bidi isolates
            | '\u{feff}'              // zero-width no-break space
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_neutralised() {
        assert_eq!(
            sanitize("\x1b[2J\x1b]0;pwned\x07ok"),
            "\\u{1b}[2J\\u{1b}]0;pwned\\u{7}ok"
        );
        assert_eq!(
            sanitize("a\r\nb\0c\u{7f}d\u{9b}e"),
            "a\\u{d}\\u{a}b\\u{0}c\\u{7f}d\\u{9b}e"
        );
    }

    #[test]
    fn bidi_and_zero_width_are_visible() {
        assert_eq!(sanitize("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(sanitize("a\u{200b}b\u{feff}"), "a\\u{200b}b\\u{feff}");
    }

    #[test]
    fn ordinary_text_is_untouched() {
        let s = "Listed by SBL, see https://check.spamhaus.org/sbl/query/SBL1 — ünïcödé";
        assert_eq!(sanitize(s), s);
    }
}
