//! What a rejection says: its cause (with the phrase that decided), the
//! blocklist it names, and the receiving provider.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

/// The cause of a rejection (DESIGN.md, `explain`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// A public DNS blocklist lists the sender.
    Blocklist,
    /// SPF does not authorise the sending IP.
    Spf,
    /// DMARC policy (alignment or authentication failure).
    Dmarc,
    /// The server refused to relay.
    Relay,
    /// Authentication is required (submission).
    AuthRequired,
    /// The receiver's own reputation system, no public list named.
    ReputationOther,
    /// Reverse DNS, content, recipient or local policy.
    PolicyOther,
    /// Not recognised.
    Unknown,
}

impl Cause {
    /// The word used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Blocklist => "blocklist",
            Cause::Spf => "spf",
            Cause::Dmarc => "dmarc",
            Cause::Relay => "relay",
            Cause::AuthRequired => "auth_required",
            Cause::ReputationOther => "reputation_other",
            Cause::PolicyOther => "policy_other",
            Cause::Unknown => "unknown",
        }
    }
}

/// How sure the classification is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// A phrase specific to the cause.
    High,
    /// A phrase that usually means the cause.
    Medium,
    /// A guess.
    Low,
}

struct Rule {
    cause: Cause,
    confidence: Confidence,
    re: Regex,
}

/// Ordered rules: the first that matches decides. Specific wordings of
/// receivers come before generic words.
static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    use Cause::*;
    use Confidence::*;
    let rules: &[(Cause, Confidence, &str)] = &[
        // Relay and authentication first: their wording is unambiguous.
        (
            Relay,
            High,
            r"(?i)relay(?:ing)? (?:access )?(?:denied|not permitted|prohibited)|unable to relay|not permitted to relay|we do not relay|relaying (?:is )?(?:denied|not allowed)|5\.7\.54\b",
        ),
        (
            AuthRequired,
            High,
            r"(?i)authentication (?:is )?required|must (?:issue a STARTTLS|authenticate)|smtp auth(?:entication)? (?:is )?required|client was not authenticated|5\.7\.57\b|5\.5\.1 authentication",
        ),
        // DMARC before SPF: DMARC rejections often mention SPF too.
        (
            Dmarc,
            High,
            r"(?i)\bdmarc\b|5\.7\.26\b|unauthenticated email from [^ ]+ is not accepted due to domain's|policy reasons.{0,40}(?:alignment|authentication)",
        ),
        (
            Spf,
            High,
            r"(?i)\bspf\b|sender policy framework|not (?:a )?designated (?:as )?(?:a )?permitted sender|5\.7\.27\b|5\.7\.23\b|sender's domain .{0,40}(?:not|doesn't) (?:authori[sz]e|permit)",
        ),
        // Proofpoint's own list ("Proofpoint DNSBL", ipcheck) is not a public list.
        (
            ReputationOther,
            High,
            r"(?i)ipcheck\.proofpoint\.com|proofpoint\.com/dnsbl|proofpoint dnsbl|rejected by sender reputation",
        ),
        // Blocklists named.
        (
            Blocklist,
            High,
            r"(?i)blocked using [a-z0-9.-]+\.[a-z]{2,}|(?:listed|found) (?:in|on|at|by) (?:the )?(?:[a-z0-9-]+\.)+[a-z]{2,}|\b(?:spamhaus|spamcop|barracuda(?:central)?|uceprotect|psbl|sorbs|mailspike|surbl|uribl|dnswl|abusix|spamrats|dronebl)\b|\bBL000010\b|\bRBLs?\b|\bDNSBLs?\b|open resolver; https://check\.spamhaus",
        ),
        // Receivers' own reputation systems.
        (
            ReputationOther,
            High,
            r"(?i)\bS3150\b|\bS3140\b|5\.7\.606\b|5\.7\.708\b|\bTSS0[0-9]\b|\bTS0[0-9]\b|\bBL000000\b|\bRP-00[0-9]\b|ip (?:reputation|address) (?:is )?(?:poor|bad|low)|poor reputation|poor ip reputation|low reputation|senderguidelines\?ip=\S+&c=bl|tosa@rx\.t-online\.de|reputation (?:of|for) (?:your|the sending) |our (?:internal )?(?:block ?list|blacklist)|part of their network is on our block list|unusual rate of unsolicited mail|likely unsolicited mail|not sending \w+ mail from this ip|mail from ip [0-9.]+ (?:is|was) rejected due to (?:local|IP) reputation|rejected by (?:ip|sender) reputation|gmx.{0,20}\b(?:IP|sender) address.{0,40}reputation|low sender score",
        ),
        (
            Blocklist,
            Medium,
            r"(?i)black ?list(?:ed)?|block ?list(?:ed)?|blocked by (?:a |an )?(?:external |public )?(?:dns|reputation) ?(?:bl|list)",
        ),
        // Reverse DNS, content, recipients and other policy.
        (
            PolicyOther,
            High,
            r"(?i)reverse (?:dns|lookup)|\bptr\b|cannot find your hostname|client host rejected: cannot find|5\.7\.25\b|does not have a ptr|hostname (?:does not|doesn't) (?:resolve|match)|helo command rejected|need fully-qualified hostname|spam(?:my)? content|classified as spam|not authorized to send email directly|message content rejected|rejected as spam|content filter|detected as spam|virus|malware|attachment|recipient address rejected|user unknown|mailbox (?:unavailable|not found|does not exist)|no such user|access denied|sender address rejected|domain not found|policy violation|administrative prohibition|rejected by policy|5\.7\.1 .*policy",
        ),
    ];
    rules
        .iter()
        .map(|(cause, confidence, re)| Rule {
            cause: *cause,
            confidence: *confidence,
            re: Regex::new(re).expect("valid regex"),
        })
        .collect()
});

/// Classifies normalised text: the cause, how sure, and the phrase that decided.
pub fn classify(text: &str) -> (Cause, Confidence, Option<String>) {
    for rule in RULES.iter() {
        if let Some(m) = rule.re.find(text) {
            return (
                rule.cause,
                rule.confidence,
                Some(m.as_str().trim().to_string()),
            );
        }
    }
    (Cause::Unknown, Confidence::Low, None)
}

/// Whether the receiver's text shows it could not query the list (its own
/// resolver is refused), so the sender is probably not listed at all.
pub fn receiver_resolver_refused(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("open resolver")
        || t.contains("127.255.255.254")
        || t.contains("public resolver")
        || t.contains("returnc/pub")
}

/// The blocklist zone a rejection names, and names such as "Spamhaus"
/// mapped to catalog zones. DQS keys stay in the zone (masked for output).
pub fn zone(text: &str) -> Option<String> {
    static EXPLICIT: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        [
            r"(?i)blocked using ([a-z0-9_-]+(?:\.[a-z0-9_-]+)+)",
            r"(?i)(?:listed|found) (?:in|on|at|by) (?:the )?(?:rbl |dnsbl |blocklist )?([a-z0-9_-]+(?:\.[a-z0-9_-]+)+\.[a-z]{2,})",
            r"(?i)\b((?:[a-z0-9-]+\.)*(?:zen|sbl|xbl|pbl|sbl-xbl|dbl)\.(?:dq\.)?spamhaus\.(?:org|net))\b",
            r"(?i)\b([a-z0-9]{20,40}\.(?:zen|sbl|xbl|pbl|dbl|zrd|authbl)\.dq\.spamhaus\.net)\b",
            r"(?i)\b(bl\.spamcop\.net|b\.barracudacentral\.org|dnsbl-[123]\.uceprotect\.net|psbl\.surriel\.com|bl\.mailspike\.net|dnsbl\.sorbs\.net|multi\.surbl\.org|multi\.uribl\.com|bl\.spameatingmonkey\.net|dnsbl\.dronebl\.org|ix\.dnsbl\.manitu\.net)\b",
        ]
        .iter()
        .map(|r| Regex::new(r).expect("valid regex"))
        .collect()
    });
    for re in EXPLICIT.iter() {
        if let Some(c) = re.captures(text) {
            let z = c[1].trim_end_matches('.').to_ascii_lowercase();
            if z.contains('.') && !z.starts_with("www.") && !z.ends_with(".shtml") {
                return Some(z);
            }
        }
    }
    let t = text.to_ascii_lowercase();
    let names: &[(&str, &str)] = &[
        ("spamcop", "bl.spamcop.net"),
        ("barracuda", "b.barracudacentral.org"),
        ("brbl", "b.barracudacentral.org"),
        ("uceprotect", "dnsbl-1.uceprotect.net"),
        ("psbl", "psbl.surriel.com"),
        ("mailspike", "bl.mailspike.net"),
        ("spamhaus", "zen.spamhaus.org"),
        ("bl000010", "zen.spamhaus.org"),
        ("sorbs", "dnsbl.sorbs.net"),
    ];
    names
        .iter()
        .find(|(n, _)| t.contains(n))
        .map(|(_, z)| z.to_string())
}

/// The receiving provider, where the text shows it.
pub fn provider(text: &str) -> Option<&'static str> {
    let t = text.to_ascii_lowercase();
    let table: &[(&str, &[&str])] = &[
        (
            "gmail",
            &["gsmtp", "google.com", "gmail", "support.google.com"],
        ),
        (
            "microsoft",
            &[
                "outlook.com",
                "protection.outlook",
                "hotmail",
                "s3150",
                "s3140",
                "5.7.606",
                "microsoft",
            ],
        ),
        ("yahoo", &["yahoo", "tss0", "aol.com", "yahoodns"]),
        ("apple", &["icloud", "apple.com", "me.com"]),
        ("proofpoint", &["pphosted", "proofpoint"]),
        ("mimecast", &["mimecast"]),
        ("barracuda", &["barracuda.com", "barracudanetworks", "bsf0"]),
        ("cisco", &["ironport", "cisco", "iphmx"]),
        ("comcast", &["comcast"]),
        ("gmx", &["gmx.", "web.de", "1und1", "ionos"]),
        ("t-online", &["t-online"]),
        ("postfix", &["noqueue: reject", "postfix"]),
        (
            "exim",
            &[
                "exim",
                "rejected rcpt",
                " h=",
                "smtp error from remote mail server",
            ],
        ),
        ("sendmail", &["sendmail", "reject=550", "ruleset=check_"]),
    ];
    table
        .iter()
        .find(|(_, needles)| needles.iter().any(|n| t.contains(n)))
        .map(|(name, _)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_specific_rule_decides() {
        let (c, conf, m) = classify(
            "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org",
        );
        assert_eq!((c, conf), (Cause::Blocklist, Confidence::High));
        assert_eq!(m.as_deref(), Some("blocked using zen.spamhaus.org"));
        assert_eq!(classify("550 5.7.26 Unauthenticated email from example.org is not accepted due to domain's DMARC policy").0, Cause::Dmarc);
        assert_eq!(
            classify("550 5.7.1 SPF fail - not authorized").0,
            Cause::Spf
        );
        assert_eq!(
            classify("554 5.7.1 <x@example.net>: Relay access denied").0,
            Cause::Relay
        );
        assert_eq!(
            classify("550 5.7.1 Unfortunately, messages from [192.0.2.10] weren't sent. (S3150)").0,
            Cause::ReputationOther
        );
        assert_eq!(classify("250 ok").0, Cause::Unknown);
    }

    #[test]
    fn zones_from_text_and_names() {
        assert_eq!(
            zone("blocked using bl.spamcop.net; Blocked").as_deref(),
            Some("bl.spamcop.net")
        );
        assert_eq!(
            zone("rejected: listed by Spamhaus").as_deref(),
            Some("zen.spamhaus.org")
        );
        assert_eq!(
            zone("blocked using abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net").as_deref(),
            Some("abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net")
        );
        assert_eq!(
            zone("Barracuda Reputation Block List").as_deref(),
            Some("b.barracudacentral.org")
        );
    }
}
