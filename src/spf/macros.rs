//! SPF macros (RFC 7208 §7).
//!
//! ```text
//! macro-string = *( macro-expand / macro-literal )
//! macro-expand = ( "%{" macro-letter transformers *delimiter "}" )
//!                / "%%" / "%_" / "%-"
//! macro-letter = "s" / "l" / "o" / "d" / "i" / "p" / "h" / "c" / "r" / "t" / "v"
//! transformers = *DIGIT [ "r" ]
//! delimiter    = "." / "-" / "+" / "," / "/" / "_" / "="
//! ```

use std::net::IpAddr;

/// What macros expand to.
#[derive(Clone, Debug)]
pub struct MacroContext {
    /// `%{s}`: the sender (`local@domain`).
    pub sender: String,
    /// `%{l}`: the sender's local part (`postmaster` when it had none).
    pub local: String,
    /// `%{o}`: the sender's domain.
    pub sender_domain: String,
    /// `%{d}`: the domain being evaluated.
    pub domain: String,
    /// `%{i}`, `%{c}`, `%{v}`: the client address.
    pub ip: IpAddr,
    /// `%{h}`: the HELO/EHLO name.
    pub helo: String,
    /// `%{p}`: the validated domain name of the client (`unknown` if none).
    pub validated: Option<String>,
    /// `%{r}`: the receiving host (exp only).
    pub receiver: String,
    /// `%{t}`: seconds since the epoch (exp only).
    pub timestamp: u64,
}

const DELIMITERS: &[u8] = b".-+,/_=";

/// Checks the syntax of a macro-string. `exp` allows the letters c, r, t and
/// spaces (explanation text); elsewhere they are errors.
pub fn check_macro_string(s: &str, exp: bool) -> Result<(), String> {
    walk(s, exp, &mut |_| Ok(()))
}

/// Whether a macro-string uses `%{p}` (which needs DNS lookups to expand).
pub fn uses_p(s: &str) -> bool {
    let mut found = false;
    let _ = walk(s, true, &mut |m| {
        if m.letter.eq_ignore_ascii_case(&b'p') {
            found = true;
        }
        Ok(())
    });
    found
}

struct Expand<'a> {
    letter: u8,
    digits: Option<usize>,
    reverse: bool,
    delimiters: &'a [u8],
}

enum Piece<'a> {
    Literal(&'a str),
    Macro(Expand<'a>),
}

fn walk(
    s: &str,
    exp: bool,
    on_macro: &mut dyn FnMut(&Expand<'_>) -> Result<(), String>,
) -> Result<(), String> {
    for piece in pieces(s, exp)? {
        if let Piece::Macro(m) = piece {
            on_macro(&m)?;
        }
    }
    Ok(())
}

fn pieces(s: &str, exp: bool) -> Result<Vec<Piece<'_>>, String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut lit_start = 0;
    while i < b.len() {
        let c = b[i];
        if c != b'%' {
            let ok = (0x21..=0x7e).contains(&c) || (exp && c == b' ');
            if !ok {
                return Err(format!(
                    "character {:?} is not allowed in a macro string",
                    c as char
                ));
            }
            i += 1;
            continue;
        }
        if lit_start < i {
            out.push(Piece::Literal(&s[lit_start..i]));
        }
        match b.get(i + 1) {
            Some(b'%') => out.push(Piece::Literal("%")),
            Some(b'_') => out.push(Piece::Literal(" ")),
            Some(b'-') => out.push(Piece::Literal("%20")),
            Some(b'{') => {
                let close = s[i..]
                    .find('}')
                    .map(|p| p + i)
                    .ok_or("unterminated macro '%{'")?;
                out.push(Piece::Macro(parse_macro(&b[i + 2..close], exp)?));
                i = close + 1;
                lit_start = i;
                continue;
            }
            _ => return Err("'%' must be followed by '{', '%', '_' or '-'".into()),
        }
        i += 2;
        lit_start = i;
    }
    if lit_start < b.len() {
        out.push(Piece::Literal(&s[lit_start..]));
    }
    Ok(out)
}

/// The body of `%{...}` (between the braces): a letter, optional digits, an
/// optional `r` and delimiters. `exp` allows the letters only valid in `exp=`.
fn parse_macro(body: &[u8], exp: bool) -> Result<Expand<'_>, String> {
    let letter = *body.first().ok_or("empty macro '%{}'")?;
    let allowed: &[u8] = if exp { b"slodiphcrtv" } else { b"slodiphv" };
    if !allowed.contains(&letter.to_ascii_lowercase()) {
        return Err(format!(
            "unknown macro letter '{}' in '%{{{}}}'",
            letter as char,
            String::from_utf8_lossy(body)
        ));
    }
    let mut j = 1;
    while j < body.len() && body[j].is_ascii_digit() {
        j += 1;
    }
    let digits = if j > 1 {
        let n: usize = std::str::from_utf8(&body[1..j])
            .ok()
            .and_then(|d| d.parse().ok())
            .ok_or("macro digit transformer out of range")?;
        if n == 0 {
            return Err("macro digit transformer 0 is not allowed".into());
        }
        Some(n)
    } else {
        None
    };
    let mut reverse = false;
    if j < body.len() && body[j].eq_ignore_ascii_case(&b'r') {
        reverse = true;
        j += 1;
    }
    let delimiters = &body[j..];
    if let Some(bad) = delimiters.iter().find(|d| !DELIMITERS.contains(d)) {
        return Err(format!("'{}' is not a macro delimiter", *bad as char));
    }
    Ok(Expand {
        letter,
        digits,
        reverse,
        delimiters,
    })
}

fn dotted_nibbles(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let mut parts = Vec::with_capacity(32);
            for byte in v6.octets() {
                parts.push(format!("{:x}", byte >> 4));
                parts.push(format!("{:x}", byte & 0x0f));
            }
            parts.join(".")
        }
    }
}

fn url_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Expands a macro-string. `exp` is true for explanation text (allows c, r, t and spaces).
pub fn expand(s: &str, ctx: &MacroContext, exp: bool) -> Result<String, String> {
    let mut out = String::new();
    for piece in pieces(s, exp)? {
        match piece {
            Piece::Literal(l) => out.push_str(l),
            Piece::Macro(m) => {
                let value = match m.letter.to_ascii_lowercase() {
                    b's' => ctx.sender.clone(),
                    b'l' => ctx.local.clone(),
                    b'o' => ctx.sender_domain.clone(),
                    b'd' => ctx.domain.clone(),
                    b'i' => dotted_nibbles(ctx.ip),
                    b'p' => ctx.validated.clone().unwrap_or_else(|| "unknown".into()),
                    b'h' => ctx.helo.clone(),
                    b'c' => ctx.ip.to_string(),
                    b'r' => ctx.receiver.clone(),
                    b't' => ctx.timestamp.to_string(),
                    b'v' => match ctx.ip {
                        IpAddr::V4(_) => "in-addr".into(),
                        IpAddr::V6(_) => "ip6".into(),
                    },
                    _ => unreachable!("letters are checked by pieces()"),
                };
                let delims: &[u8] = if m.delimiters.is_empty() {
                    b"."
                } else {
                    m.delimiters
                };
                let mut parts: Vec<&str> = value
                    .split(|c: char| c.is_ascii() && delims.contains(&(c as u8)))
                    .collect();
                if m.reverse {
                    parts.reverse();
                }
                if let Some(n) = m.digits
                    && n < parts.len()
                {
                    parts.drain(..parts.len() - n);
                }
                let joined = parts.join(".");
                if m.letter.is_ascii_uppercase() {
                    out.push_str(&url_escape(&joined));
                } else {
                    out.push_str(&joined);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(ip: &str) -> MacroContext {
        MacroContext {
            sender: "strong-bad@email.example.com".into(),
            local: "strong-bad".into(),
            sender_domain: "email.example.com".into(),
            domain: "email.example.com".into(),
            ip: ip.parse().unwrap(),
            helo: "mx.example.org".into(),
            validated: None,
            receiver: "receiver.example".into(),
            timestamp: 1_700_000_000,
        }
    }

    /// The examples of RFC 7208 §7.4.
    #[test]
    fn rfc_7208_section_7_4_examples() {
        let c = ctx("192.0.2.3");
        let cases = [
            ("%{s}", "strong-bad@email.example.com"),
            ("%{o}", "email.example.com"),
            ("%{d}", "email.example.com"),
            ("%{d4}", "email.example.com"),
            ("%{d3}", "email.example.com"),
            ("%{d2}", "example.com"),
            ("%{d1}", "com"),
            ("%{dr}", "com.example.email"),
            ("%{d2r}", "example.email"),
            ("%{l}", "strong-bad"),
            ("%{l-}", "strong.bad"),
            ("%{lr}", "strong-bad"),
            ("%{lr-}", "bad.strong"),
            ("%{l1r-}", "strong"),
            (
                "%{ir}.%{v}._spf.%{d2}",
                "3.2.0.192.in-addr._spf.example.com",
            ),
            ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
            (
                "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
                "bad.strong.lp.3.2.0.192.in-addr._spf.example.com",
            ),
            (
                "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
                "3.2.0.192.in-addr.strong.lp._spf.example.com",
            ),
            (
                "%{d2}.trusted-domains.example.net",
                "example.com.trusted-domains.example.net",
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(expand(spec, &c, false).unwrap(), want, "{spec}");
        }
        let c6 = ctx("2001:db8::cb01");
        assert_eq!(
            expand("%{ir}.%{v}._spf.%{d2}", &c6, false).unwrap(),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
        );
    }

    #[test]
    fn escapes_and_url_encoding() {
        let c = ctx("192.0.2.3");
        assert_eq!(expand("a%%b%_c%-d", &c, false).unwrap(), "a%b c%20d");
        assert_eq!(
            expand("%{S}", &c, false).unwrap(),
            "strong-bad%40email.example.com"
        );
        assert_eq!(
            expand("%{c} at %{r} %{t}", &c, true).unwrap(),
            "192.0.2.3 at receiver.example 1700000000"
        );
        assert_eq!(expand("%{p}", &c, false).unwrap(), "unknown");
    }

    #[test]
    fn syntax_errors() {
        for bad in ["%{x}", "%{", "%{}", "%{d0}", "%{d2r!}", "100%", "%a", "a b"] {
            assert!(check_macro_string(bad, false).is_err(), "{bad}");
        }
        // c, r and t only in explanation text.
        assert!(check_macro_string("%{c}", false).is_err());
        assert!(check_macro_string("%{c} %{r}", true).is_ok());
        assert!(uses_p("x.%{p2}.example") && !uses_p("%{d}"));
    }
}

#[cfg(test)]
#[path = "macros_props.rs"]
mod props;
