//! The strict SPF record parser (RFC 7208 §4.6, §5, §6, §12).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// `qualifier = "+" / "-" / "?" / "~"` (RFC 7208 §4.6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qualifier {
    /// `+` (the default).
    Pass,
    /// `-`
    Fail,
    /// `~`
    SoftFail,
    /// `?`
    Neutral,
}

/// A mechanism (RFC 7208 §5). Domain specs are kept unexpanded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// `all`
    All,
    /// `include:<domain-spec>`
    Include(String),
    /// `a[:<domain-spec>][/cidr4][//cidr6]`
    A(Option<String>, u8, u8),
    /// `mx[:<domain-spec>][/cidr4][//cidr6]`
    Mx(Option<String>, u8, u8),
    /// `ptr[:<domain-spec>]`
    Ptr(Option<String>),
    /// `ip4:<network>[/cidr]`
    Ip4(Ipv4Addr, u8),
    /// `ip6:<network>[/cidr]`
    Ip6(Ipv6Addr, u8),
    /// `exists:<domain-spec>`
    Exists(String),
}

impl Mechanism {
    /// Whether evaluating it counts against the 10-lookup limit.
    pub fn queries_dns(&self) -> bool {
        !matches!(
            self,
            Mechanism::All | Mechanism::Ip4(..) | Mechanism::Ip6(..)
        )
    }
}

/// A directive: qualifier and mechanism, with its text as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// The qualifier (`+` when omitted).
    pub qualifier: Qualifier,
    /// The mechanism.
    pub mechanism: Mechanism,
    /// The term exactly as written in the record.
    pub text: String,
}

/// A modifier (RFC 7208 §6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Modifier {
    /// `redirect=<domain-spec>`
    Redirect(String),
    /// `exp=<domain-spec>`
    Exp(String),
    /// Any other `name=macro-string` (ignored, but must be well formed).
    Unknown(String, String),
}

/// A parsed record.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Record {
    /// The directives in order.
    pub directives: Vec<Directive>,
    /// `redirect=`, at most one.
    pub redirect: Option<String>,
    /// `exp=`, at most one.
    pub exp: Option<String>,
    /// Unknown modifiers (name, value).
    pub unknown: Vec<(String, String)>,
}

/// A syntax error, with the byte position in the record where the bad term starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset of the offending term in the record.
    pub position: usize,
    /// The offending term.
    pub term: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "syntax error at position {} in term '{}': {}",
            self.position + 1,
            self.term.escape_default(),
            self.reason
        )
    }
}

/// True if `txt` is an SPF record: `v=spf1` (any case) then a space or the end.
pub fn is_spf_record(txt: &str) -> bool {
    let b = txt.as_bytes();
    b.len() >= 6 && b[..6].eq_ignore_ascii_case(b"v=spf1") && (b.len() == 6 || b[6] == b' ')
}

/// Parses a whole record (which must start with `v=spf1`).
pub fn parse_record(txt: &str) -> Result<Record, ParseError> {
    let err = |position: usize, term: &str, reason: &str| ParseError {
        position,
        term: term.to_string(),
        reason: reason.to_string(),
    };
    if !is_spf_record(txt) {
        return Err(err(0, txt, "the record does not start with v=spf1"));
    }
    let mut record = Record::default();
    let mut pos = 6;
    for term in txt[6..].split(' ') {
        let start = pos;
        pos += term.len() + 1;
        if term.is_empty() {
            continue;
        }
        if let Some(bad) = term.chars().find(|c| !(c.is_ascii_graphic())) {
            return Err(err(
                start,
                term,
                &format!(
                    "character {bad:?} is not allowed (only printable ASCII, terms separated by spaces)"
                ),
            ));
        }
        match parse_term(term) {
            Ok(Term::Directive(d)) => record.directives.push(d),
            Ok(Term::Modifier(Modifier::Redirect(d))) => {
                if record.redirect.replace(d).is_some() {
                    return Err(err(start, term, "redirect= appears more than once"));
                }
            }
            Ok(Term::Modifier(Modifier::Exp(d))) => {
                if record.exp.replace(d).is_some() {
                    return Err(err(start, term, "exp= appears more than once"));
                }
            }
            Ok(Term::Modifier(Modifier::Unknown(n, v))) => record.unknown.push((n, v)),
            Err(reason) => return Err(err(start, term, &reason)),
        }
    }
    Ok(record)
}

enum Term {
    Directive(Directive),
    Modifier(Modifier),
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn parse_term(term: &str) -> Result<Term, String> {
    if let Some(eq) = term.find('=')
        && is_name(&term[..eq])
    {
        return parse_modifier(&term[..eq], &term[eq + 1..]).map(Term::Modifier);
    }
    let (qualifier, rest) = match term.as_bytes()[0] {
        b'+' => (Qualifier::Pass, &term[1..]),
        b'-' => (Qualifier::Fail, &term[1..]),
        b'~' => (Qualifier::SoftFail, &term[1..]),
        b'?' => (Qualifier::Neutral, &term[1..]),
        _ => (Qualifier::Pass, term),
    };
    let name_end = rest.find([':', '/']).unwrap_or(rest.len());
    let (name, args) = rest.split_at(name_end);
    Ok(Term::Directive(Directive {
        qualifier,
        mechanism: parse_mechanism(name, args)?,
        text: term.to_string(),
    }))
}

/// `name=value`: redirect, exp, or a modifier this evaluator ignores.
fn parse_modifier(name: &str, value: &str) -> Result<Modifier, String> {
    match name.to_ascii_lowercase().as_str() {
        "redirect" => {
            check_domain_spec(value)?;
            Ok(Modifier::Redirect(value.to_string()))
        }
        "exp" => {
            check_domain_spec(value)?;
            Ok(Modifier::Exp(value.to_string()))
        }
        _ => {
            super::macros::check_macro_string(value, false)?;
            Ok(Modifier::Unknown(name.to_string(), value.to_string()))
        }
    }
}

/// A mechanism `name` with its arguments `args` (from the ':' or '/' on).
fn parse_mechanism(name: &str, args: &str) -> Result<Mechanism, String> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "all" => {
            if !args.is_empty() {
                return Err("all takes no argument".into());
            }
            Mechanism::All
        }
        "include" => Mechanism::Include(required_domain(args, "include")?),
        "exists" => Mechanism::Exists(required_domain(args, "exists")?),
        "a" | "mx" => {
            let (spec, c4, c6) = domain_and_dual_cidr(args)?;
            if name.eq_ignore_ascii_case("a") {
                Mechanism::A(spec, c4, c6)
            } else {
                Mechanism::Mx(spec, c4, c6)
            }
        }
        "ptr" => {
            if args.is_empty() {
                Mechanism::Ptr(None)
            } else {
                Mechanism::Ptr(Some(required_domain(args, "ptr")?))
            }
        }
        "ip4" => {
            let v = args
                .strip_prefix(':')
                .ok_or("ip4 needs ':' and an address")?;
            let (addr, cidr) = split_cidr(v, 32)?;
            let ip = parse_ipv4_strict(addr)
                .ok_or_else(|| format!("'{addr}' is not an IPv4 address"))?;
            Mechanism::Ip4(ip, cidr.unwrap_or(32))
        }
        "ip6" => {
            let v = args
                .strip_prefix(':')
                .ok_or("ip6 needs ':' and an address")?;
            let (addr, cidr) = split_cidr(v, 128)?;
            let ip: Ipv6Addr = addr
                .parse()
                .map_err(|_| format!("'{addr}' is not an IPv6 address"))?;
            Mechanism::Ip6(ip, cidr.unwrap_or(128))
        }
        "" => return Err("empty mechanism".into()),
        other => return Err(format!("unknown mechanism '{other}'")),
    })
}

fn parse_ipv4_strict(s: &str) -> Option<Ipv4Addr> {
    // Four decimal octets, no leading zeros, nothing else.
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4
        || parts.iter().any(|p| {
            p.is_empty()
                || p.len() > 3
                || !p.bytes().all(|b| b.is_ascii_digit())
                || (p.len() > 1 && p.starts_with('0'))
        })
    {
        return None;
    }
    s.parse().ok()
}

fn required_domain(args: &str, mech: &str) -> Result<String, String> {
    let spec = args
        .strip_prefix(':')
        .ok_or_else(|| format!("{mech} needs ':' and a domain"))?;
    check_domain_spec(spec)?;
    Ok(spec.to_string())
}

/// `ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT)`, and the ip6 form.
fn parse_cidr(digits: &str, max: u8) -> Result<u8, String> {
    let ok = !digits.is_empty()
        && digits.len() <= 3
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    let value: u16 = if ok {
        digits.parse().unwrap_or(u16::MAX)
    } else {
        u16::MAX
    };
    if !ok || value > u16::from(max) {
        return Err(format!(
            "'/{digits}' is not a prefix length from 0 to {max}"
        ));
    }
    Ok(value as u8)
}

fn split_cidr(v: &str, max: u8) -> Result<(&str, Option<u8>), String> {
    match v.rfind('/') {
        Some(i) => Ok((&v[..i], Some(parse_cidr(&v[i + 1..], max)?))),
        None => Ok((v, None)),
    }
}

/// `[ ":" domain-spec ] [ dual-cidr-length ]` for `a` and `mx`.
fn domain_and_dual_cidr(args: &str) -> Result<(Option<String>, u8, u8), String> {
    let mut rest = args;
    let mut c6 = 128;
    let mut c4 = 32;
    if let Some(i) = rest.rfind("//") {
        c6 = parse_cidr(&rest[i + 2..], 128)?;
        rest = &rest[..i];
    }
    if let Some(i) = rest.rfind('/') {
        let tail = &rest[i + 1..];
        // A '/' inside the domain spec is a macro literal, but a trailing
        // digits-only part is the IPv4 prefix length.
        if !rest[..i].contains(':') || tail.bytes().all(|b| b.is_ascii_digit()) {
            c4 = parse_cidr(tail, 32)?;
            rest = &rest[..i];
        }
    }
    if rest.is_empty() {
        return Ok((None, c4, c6));
    }
    let spec = rest
        .strip_prefix(':')
        .ok_or_else(|| format!("unexpected '{rest}'"))?;
    check_domain_spec(spec)?;
    Ok((Some(spec.to_string()), c4, c6))
}

/// `domain-spec = macro-string domain-end`,
/// `domain-end = ( "." toplabel [ "." ] ) / macro-expand`.
pub(crate) fn check_domain_spec(spec: &str) -> Result<(), String> {
    if spec.is_empty() {
        return Err("empty domain".into());
    }
    super::macros::check_macro_string(spec, false)?;
    if ends_with_macro_expand(spec) {
        return Ok(());
    }
    let s = spec.strip_suffix('.').unwrap_or(spec);
    let Some(dot) = s.rfind('.') else {
        return Err(format!("'{spec}' is not a fully qualified domain"));
    };
    let top = &s[dot + 1..];
    if is_toplabel(top) {
        Ok(())
    } else {
        Err(format!(
            "'{top}' is not a valid top-level label in '{spec}'"
        ))
    }
}

fn ends_with_macro_expand(spec: &str) -> bool {
    if spec.ends_with('}') {
        return spec.rfind("%{").is_some();
    }
    // "%%", "%_" and "%-" are macro-expands too (an even count of '%' before
    // the last character would make it a literal).
    let b = spec.as_bytes();
    if b.len() >= 2 && matches!(b[b.len() - 1], b'%' | b'_' | b'-') {
        let percents = b[..b.len() - 1]
            .iter()
            .rev()
            .take_while(|&&c| c == b'%')
            .count();
        return percents % 2 == 1;
    }
    false
}

/// `toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )`
fn is_toplabel(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-') {
        return false;
    }
    if b.contains(&b'-') {
        b[0].is_ascii_alphanumeric() && b[b.len() - 1].is_ascii_alphanumeric()
    } else {
        b.iter().any(|c| c.is_ascii_alphabetic())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(record: &str) -> ParseError {
        parse_record(record).unwrap_err()
    }

    #[test]
    fn a_full_record() {
        let r = parse_record("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mail.example.org/28//64 -ptr ~include:_spf.example.net ?exists:%{i}.x.example redirect=other.example exp=exp.example foo=bar").unwrap();
        assert_eq!(r.directives.len(), 7);
        assert_eq!(
            r.directives[0].mechanism,
            Mechanism::Ip4("192.0.2.0".parse().unwrap(), 24)
        );
        assert_eq!(
            r.directives[1].mechanism,
            Mechanism::Ip6("2001:db8::".parse().unwrap(), 32)
        );
        assert_eq!(r.directives[2].mechanism, Mechanism::A(None, 32, 128));
        assert_eq!(
            r.directives[3].mechanism,
            Mechanism::Mx(Some("mail.example.org".into()), 28, 64)
        );
        assert_eq!(r.directives[4].qualifier, Qualifier::Fail);
        assert_eq!(r.directives[5].qualifier, Qualifier::SoftFail);
        assert_eq!(r.directives[6].qualifier, Qualifier::Neutral);
        assert_eq!(r.redirect.as_deref(), Some("other.example"));
        assert_eq!(r.exp.as_deref(), Some("exp.example"));
        assert_eq!(r.unknown, [("foo".to_string(), "bar".to_string())]);
    }

    #[test]
    fn version_must_be_followed_by_space_or_end() {
        assert!(is_spf_record("v=spf1"));
        assert!(is_spf_record("V=SpF1 -all"));
        assert!(!is_spf_record("v=spf10"));
        assert!(!is_spf_record("v=spf1-all"));
    }

    #[test]
    fn every_class_of_syntax_error() {
        let cases = [
            ("v=spf1 foo", "unknown mechanism"),
            ("v=spf1 -", "empty mechanism"),
            ("v=spf1 all:x", "no argument"),
            ("v=spf1 include", "needs ':'"),
            ("v=spf1 include:", "empty domain"),
            ("v=spf1 a:foo", "fully qualified"),
            ("v=spf1 a:foo.1", "top-level"),
            ("v=spf1 a/33", "prefix length"),
            ("v=spf1 a//129", "prefix length"),
            ("v=spf1 a/024", "prefix length"),
            ("v=spf1 ip4:192.0.2.256", "not an IPv4"),
            ("v=spf1 ip4:192.0.2.01", "not an IPv4"),
            ("v=spf1 ip4:192.0.2.0/", "prefix length"),
            ("v=spf1 ip6:2001:db8::/129", "prefix length"),
            ("v=spf1 ip6:192.0.2.1", "not an IPv6"),
            ("v=spf1 exists:%{x}.example.com", "macro"),
            ("v=spf1 exists:%{i", "macro"),
            ("v=spf1 exists:100%.example.com", "'%'"),
            (
                "v=spf1 redirect=a.example redirect=b.example",
                "more than once",
            ),
            ("v=spf1 exp=a.example exp=b.example", "more than once"),
            ("v=spf1 a:ctrl.example.com\rptr", "not allowed"),
            ("v=spf1 \u{80}a", "not allowed"),
        ];
        for (record, want) in cases {
            let e = err(record);
            assert!(e.to_string().contains(want), "{record:?}: {e}");
        }
    }

    #[test]
    fn errors_carry_the_position_of_the_term() {
        let e = err("v=spf1 a mx foo -all");
        assert_eq!(e.position, 12);
        assert_eq!(e.term, "foo");
        assert!(
            e.to_string()
                .starts_with("syntax error at position 13 in term 'foo'")
        );
    }

    #[test]
    fn domain_end_may_be_a_macro() {
        assert!(check_domain_spec("%{d}").is_ok());
        assert!(check_domain_spec("%{ir}.%{v}._spf.%{d2}").is_ok());
        assert!(check_domain_spec("example.com.").is_ok());
        assert!(check_domain_spec("foo-bar.x-1").is_ok());
        assert!(check_domain_spec("foo.-x").is_err());
        assert!(check_domain_spec("foo.123").is_err());
    }
}

#[cfg(test)]
#[path = "parse_props.rs"]
mod props;
