//! DMARC (RFC 7489): record lookup with the organisational-domain fallback,
//! parsing, and SPF identifier alignment.

use serde::Serialize;

use crate::dns::{Dns, Outcome, RecordType};

crate::words::words! {
    /// A DMARC policy (`p=`, `sp=`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Policy {
        /// Monitor only.
        None = "none",
        /// Treat failing mail as suspicious (spam folder).
        Quarantine = "quarantine",
        /// Refuse failing mail.
        Reject = "reject",
    }
}

crate::words::words! {
    /// An identifier alignment mode (`adkim=`, `aspf=`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Alignment {
        /// The same organisational domain.
        Relaxed = "r",
        /// The same name.
        Strict = "s",
    }
}

/// Why a DMARC policy could not be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DmarcError {
    /// The record is malformed.
    #[error("{0}")]
    Malformed(String),
    /// Several records: receivers ignore them all.
    #[error("{name} has {count} DMARC records; receivers ignore them all")]
    Several {
        /// Where.
        name: String,
        /// How many.
        count: usize,
    },
    /// The lookup gave no usable answer.
    #[error("lookup of {name} failed: {failure}")]
    Lookup {
        /// The name looked up.
        name: String,
        /// Why.
        failure: crate::dns::Failure,
    },
}

/// The parsed tags of a DMARC record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DmarcRecord {
    /// `p`: none, quarantine or reject.
    pub policy: Policy,
    /// `sp`: the policy for subdomains (defaults to `p`).
    pub subdomain_policy: Policy,
    /// `pct`: percentage of mail the policy applies to (default 100).
    pub pct: u8,
    /// `adkim`: r (relaxed, default) or s (strict).
    pub adkim: Alignment,
    /// `aspf`: r (relaxed, default) or s (strict).
    pub aspf: Alignment,
    /// `rua`: aggregate report addresses.
    pub rua: Vec<String>,
    /// `ruf`: failure report addresses.
    pub ruf: Vec<String>,
}

/// Parses a DMARC record (RFC 7489 §6.3, §6.4). Returns the reason it is malformed.
pub fn parse(text: &str) -> Result<DmarcRecord, DmarcError> {
    parse_tags(text).map_err(DmarcError::Malformed)
}

fn parse_tags(text: &str) -> Result<DmarcRecord, String> {
    let mut tags: Vec<(String, String)> = Vec::new();
    for part in text.split(';') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("'{part}' is not a tag=value pair"))?;
        tags.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    match tags.first() {
        Some((k, v)) if k == "v" && v == "DMARC1" => {}
        _ => return Err("the record must start with v=DMARC1".into()),
    }
    let get = |name: &str| {
        tags.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let policy_value = |v: &str| Policy::from_word(&v.to_ascii_lowercase());
    let uris = |v: Option<&str>| -> Vec<String> {
        v.map(|v| {
            v.split(',')
                .map(|u| u.trim().to_string())
                .filter(|u| !u.is_empty())
                .collect()
        })
        .unwrap_or_default()
    };
    let rua = uris(get("rua"));
    let policy = match get("p") {
        Some(p) => match policy_value(p) {
            Some(p) => p,
            // §6.6.3: an invalid p with a valid rua is treated as p=none.
            None if !rua.is_empty() => Policy::None,
            None => return Err(format!("p={p} is not none, quarantine or reject")),
        },
        None if !rua.is_empty() => Policy::None,
        None => return Err("the required p= tag is missing".into()),
    };
    let subdomain_policy = match get("sp") {
        Some(sp) => {
            policy_value(sp).ok_or_else(|| format!("sp={sp} is not none, quarantine or reject"))?
        }
        None => policy,
    };
    let pct = match get("pct") {
        Some(p) => p
            .parse::<u8>()
            .ok()
            .filter(|n| *n <= 100)
            .ok_or_else(|| format!("pct={p} is not a number from 0 to 100"))?,
        None => 100,
    };
    let mode = |name: &str| -> Result<Alignment, String> {
        match get(name).map(str::to_ascii_lowercase) {
            None => Ok(Alignment::Relaxed),
            Some(v) => Alignment::from_word(&v).ok_or_else(|| format!("{name}={v} is not r or s")),
        }
    };
    Ok(DmarcRecord {
        policy,
        subdomain_policy,
        pct,
        adkim: mode("adkim")?,
        aspf: mode("aspf")?,
        rua,
        ruf: uris(get("ruf")),
    })
}

/// The organisational domain (RFC 7489 §3.2), from the embedded Public Suffix List.
pub fn org_domain(domain: &str) -> String {
    let d = domain.trim_end_matches('.').to_ascii_lowercase();
    psl::domain_str(&d).map(str::to_string).unwrap_or(d)
}

/// Whether an SPF-authenticated domain aligns with the From domain
/// (RFC 7489 §3.1.2): strict needs the same name, relaxed the same
/// organisational domain.
pub fn aligned(spf_domain: &str, from_domain: &str, strict: bool) -> bool {
    let a = spf_domain.trim_end_matches('.').to_ascii_lowercase();
    let b = from_domain.trim_end_matches('.').to_ascii_lowercase();
    if strict {
        a == b
    } else {
        org_domain(&a) == org_domain(&b)
    }
}

/// What a DMARC check found (the `sender.dmarc` object).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DmarcReport {
    /// The name the record was found at (`_dmarc.<domain>` or `_dmarc.<org domain>`).
    pub name: String,
    /// The record text.
    pub record: Option<String>,
    /// `p` (for the organisational domain's record applied to a subdomain, this is still `p`).
    pub policy: Option<Policy>,
    /// `sp`.
    pub subdomain_policy: Option<Policy>,
    /// `pct`.
    pub pct: Option<u8>,
    /// `adkim`.
    pub adkim: Option<Alignment>,
    /// `aspf`.
    pub aspf: Option<Alignment>,
    /// `rua`.
    pub rua: Vec<String>,
    /// `ruf`.
    pub ruf: Vec<String>,
    /// The organisational domain of the From domain.
    pub org_domain: String,
    /// Whether the policy that applies is the subdomain policy (record found at the org domain).
    pub applies_subdomain_policy: bool,
    /// Whether SPF passed for a domain aligned with the From domain under `aspf`.
    pub aligned: bool,
    /// Why the record is unusable (malformed, several records, DNS failure).
    #[serde(serialize_with = "error_text")]
    pub error: Option<DmarcError>,
}

/// Fetches and parses the DMARC policy for `from_domain`; `spf_pass_domain` is
/// the domain SPF passed for (if it passed). `None` when no record exists.
pub async fn check(
    dns: &dyn Dns,
    from_domain: &str,
    spf_pass_domain: Option<&str>,
) -> Option<DmarcReport> {
    let from = from_domain.trim_end_matches('.').to_ascii_lowercase();
    let org = org_domain(&from);
    let mut names = vec![format!("_dmarc.{from}")];
    if org != from {
        names.push(format!("_dmarc.{org}"));
    }
    for (i, name) in names.iter().enumerate() {
        let outcome = dns.lookup(name, RecordType::Txt).await;
        let texts: Vec<String> = match &outcome {
            Outcome::Records(_) => outcome
                .txts()
                .into_iter()
                .filter(|t| t.trim_start().starts_with("v=DMARC1"))
                .collect(),
            Outcome::NxDomain | Outcome::NoData => Vec::new(),
            Outcome::Failed(f) => {
                return Some(report(
                    name,
                    &org,
                    i > 0,
                    None,
                    Err(DmarcError::Lookup {
                        name: name.clone(),
                        failure: f.clone(),
                    }),
                    false,
                ));
            }
        };
        match texts.len() {
            0 => continue,
            1 => {
                let parsed = parse(&texts[0]);
                let aligned = match (&parsed, spf_pass_domain) {
                    (Ok(r), Some(d)) => aligned(d, &from, r.aspf == Alignment::Strict),
                    _ => false,
                };
                return Some(report(
                    name,
                    &org,
                    i > 0,
                    Some(texts[0].clone()),
                    parsed,
                    aligned,
                ));
            }
            n => {
                return Some(report(
                    name,
                    &org,
                    i > 0,
                    None,
                    Err(DmarcError::Several {
                        name: name.clone(),
                        count: n,
                    }),
                    false,
                ));
            }
        }
    }
    None
}

fn report(
    name: &str,
    org: &str,
    sub: bool,
    record: Option<String>,
    parsed: Result<DmarcRecord, DmarcError>,
    aligned: bool,
) -> DmarcReport {
    let (r, error) = match parsed {
        Ok(r) => (Some(r), None),
        Err(e) => (None, Some(e)),
    };
    DmarcReport {
        name: name.to_string(),
        record,
        policy: r.as_ref().map(|r| r.policy),
        subdomain_policy: r.as_ref().map(|r| r.subdomain_policy),
        pct: r.as_ref().map(|r| r.pct),
        adkim: r.as_ref().map(|r| r.adkim),
        aspf: r.as_ref().map(|r| r.aspf),
        rua: r.as_ref().map(|r| r.rua.clone()).unwrap_or_default(),
        ruf: r.as_ref().map(|r| r.ruf.clone()).unwrap_or_default(),
        org_domain: org.to_string(),
        applies_subdomain_policy: sub,
        aligned,
        error,
    }
}

fn error_text<S: serde::Serializer>(e: &Option<DmarcError>, s: S) -> Result<S::Ok, S::Error> {
    match e {
        Some(e) => s.collect_str(e),
        None => s.serialize_none(),
    }
}

impl DmarcReport {
    /// True when the policy could not be read for lack of a DNS answer.
    pub fn lookup_failed(&self) -> bool {
        matches!(self.error, Some(DmarcError::Lookup { .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records() {
        let r = parse("v=DMARC1; p=reject; sp=quarantine; pct=50; adkim=s; aspf=r; rua=mailto:a@example.org,mailto:b@example.org; ruf=mailto:f@example.org").unwrap();
        assert_eq!(r.policy, Policy::Reject);
        assert_eq!(r.subdomain_policy, Policy::Quarantine);
        assert_eq!(r.pct, 50);
        assert_eq!((r.adkim, r.aspf), (Alignment::Strict, Alignment::Relaxed));
        assert_eq!(r.rua, ["mailto:a@example.org", "mailto:b@example.org"]);
        assert_eq!(r.ruf, ["mailto:f@example.org"]);
        let r = parse("v=DMARC1;p=none").unwrap();
        assert_eq!(
            (r.subdomain_policy, r.pct, r.aspf),
            (Policy::None, 100, Alignment::Relaxed)
        );
        // An invalid p with a rua is p=none (RFC 7489 §6.6.3).
        assert_eq!(
            parse("v=DMARC1; p=block; rua=mailto:a@example.org")
                .unwrap()
                .policy,
            Policy::None
        );
    }

    #[test]
    fn malformed_records_say_why() {
        let cases = [
            ("p=reject; v=DMARC1", "start with v=DMARC1"),
            ("v=DMARC2; p=reject", "start with v=DMARC1"),
            ("v=DMARC1; sp=reject", "p= tag is missing"),
            ("v=DMARC1; p=block", "p=block"),
            ("v=DMARC1; p=reject; pct=150", "pct=150"),
            ("v=DMARC1; p=reject; aspf=x", "aspf=x"),
            ("v=DMARC1; p=reject; sp=maybe", "sp=maybe"),
            ("v=DMARC1; p", "tag=value"),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn organisational_domains() {
        assert_eq!(org_domain("mail.example.com"), "example.com");
        assert_eq!(org_domain("a.b.example.co.uk"), "example.co.uk");
        assert_eq!(org_domain("Example.ORG."), "example.org");
        assert_eq!(org_domain("bounce.mail.example.com.au"), "example.com.au");
    }

    #[test]
    fn alignment() {
        assert!(aligned("bounce.example.com", "example.com", false));
        assert!(!aligned("bounce.example.com", "example.com", true));
        assert!(aligned("example.com", "EXAMPLE.com", true));
        assert!(!aligned("example.net", "example.com", false));
        assert!(!aligned("a.example.co.uk", "b.other.co.uk", false));
    }
}

#[cfg(test)]
#[path = "dmarc_props.rs"]
mod props;
