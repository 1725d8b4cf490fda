//! Matching a diagnostic against the rejection knowledge.
//!
//! Precedence, highest first:
//! 1. a rule of a provider detected in the diagnostic or the receiver's host
//!    names (its own wording or code);
//! 2. a DNS list the text names (see `lists`), which wins over any generic
//!    wording or code (handled by the caller, `diagnose`);
//! 3. every other rule that matches, by confidence (high, medium, low), then
//!    by how specific it is (a pattern beats a status code, an exact code
//!    beats a class such as `5.7.*`, each `reply` or `stage` condition adds),
//!    then by file order. So a specific wording beats an RFC 7372 code, which
//!    beats an RFC 3463 subject, as long as the data gives them confidences
//!    in that order; a decisive code (5.1.7, a bad sender address) still
//!    beats a vague wording of lower confidence.
//!
//! A rule's `status` is compared with the diagnostic's own enhanced status
//! code (else the DSN's `Status:`); a reply without any enhanced code is
//! compared as `X.0.0` (RFC 3463: other or undefined status).

use super::knowledge::{Confidence, Knowledge, Provider, Rule, Stage};

/// What the matcher is given.
#[derive(Clone, Debug, Default)]
pub struct Query<'a> {
    /// The receiver's diagnostic text.
    pub text: &'a str,
    /// The enhanced status code.
    pub status: Option<&'a str>,
    /// The basic reply code.
    pub reply: Option<u16>,
    /// The SMTP stage.
    pub stage: Option<Stage>,
    /// The receiver's host names (Remote-MTA, `host X said`).
    pub hosts: Vec<&'a str>,
}

/// A rule that matched, and why it ranks where it does.
#[derive(Clone, Debug)]
pub struct RuleMatch<'k> {
    /// The rule.
    pub rule: &'k Rule,
    /// The text (or status code) that matched.
    pub matched: String,
    /// True when the rule's provider was detected.
    pub provider_detected: bool,
}

impl RuleMatch<'_> {
    fn rank(&self, index: usize) -> (bool, Confidence, u8, std::cmp::Reverse<usize>) {
        let r = self.rule;
        let mut specificity = 0u8;
        if r.pattern.is_some() {
            specificity += 4;
        }
        if r.status_is_exact() {
            specificity += 2;
        } else if !r.status.is_empty() {
            specificity += 1;
        }
        specificity += u8::from(!r.reply.is_empty()) + u8::from(!r.stage.is_empty());
        (
            self.provider_detected,
            r.confidence,
            specificity,
            std::cmp::Reverse(index),
        )
    }
}

/// The status a query is matched with: its own, else `X.0.0` from the reply.
fn effective_status(q: &Query<'_>) -> Option<String> {
    q.status.map(str::to_string).or_else(|| {
        q.reply
            .filter(|r| (400..600).contains(r))
            .map(|r| format!("{}.0.0", r / 100))
    })
}

impl Knowledge {
    /// Providers detected in the text or the host names: host matches first,
    /// then text matches, each in file order.
    pub fn detect(&self, text: &str, hosts: &[&str]) -> Vec<&Provider> {
        let mut out: Vec<&Provider> = Vec::new();
        for p in &self.providers {
            if hosts
                .iter()
                .any(|h| p.detect.iter().any(|re| re.is_match(h)))
            {
                out.push(p);
            }
        }
        for p in &self.providers {
            if !out.iter().any(|o| o.id == p.id) && p.detect.iter().any(|re| re.is_match(text)) {
                out.push(p);
            }
        }
        out
    }

    fn rule_matches<'k>(
        &'k self,
        rule: &'k Rule,
        q: &Query<'_>,
        status: Option<&str>,
        detected: &[&Provider],
    ) -> Option<RuleMatch<'k>> {
        let provider_detected = match &rule.provider {
            Some(p) => detected.iter().any(|d| &d.id == p),
            None => false,
        };
        if rule.provider.is_some() && !provider_detected && rule.pattern.is_none() {
            return None;
        }
        if !rule.status.is_empty() && !status.is_some_and(|s| rule.status_matches(s)) {
            return None;
        }
        if !rule.reply.is_empty() && !q.reply.is_some_and(|r| rule.reply.contains(&r)) {
            return None;
        }
        if !rule.stage.is_empty() && !q.stage.is_some_and(|s| rule.stage.contains(&s)) {
            return None;
        }
        let matched = match &rule.pattern {
            Some(re) => re.find(q.text)?.as_str().trim().to_string(),
            None => status.unwrap_or_default().to_string(),
        };
        Some(RuleMatch {
            rule,
            matched,
            provider_detected,
        })
    }

    /// The best rule for the query, by the precedence above.
    pub fn best_match(&self, q: &Query<'_>, detected: &[&Provider]) -> Option<RuleMatch<'_>> {
        let status = effective_status(q);
        let mut best: Option<(RuleMatch<'_>, usize)> = None;
        for (i, rule) in self.rules.iter().enumerate() {
            let Some(m) = self.rule_matches(rule, q, status.as_deref(), detected) else {
                continue;
            };
            let better = best.as_ref().is_none_or(|(b, bi)| m.rank(i) > b.rank(*bi));
            if better {
                best = Some((m, i));
            }
        }
        best.map(|(m, _)| m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knowledge(text: &str) -> Knowledge {
        Knowledge::from_files(&[("t.toml", text)]).unwrap()
    }

    const RULES: &str = r#"
[[provider]]
id = "bigmail"
name = "Big Mail"
detect = ['(?i)\bbigmail\b', '(?i)\.bigmail\.example$']

[[rule]]
id = "bigmail-606"
provider = "bigmail"
status = ["5.7.606"]
cause = "reputation_other"
confidence = "high"
meaning = "m"
advice = "a"
source = "s"

[[rule]]
id = "access-denied"
pattern = '(?i)access denied'
cause = "policy_other"
confidence = "medium"
meaning = "m"
advice = "a"
source = "s"

[[rule]]
id = "class-57"
status = ["5.7.*"]
cause = "policy_other"
confidence = "low"
meaning = "m"
advice = "a"
source = "s"

[[rule]]
id = "sender-517"
status = ["5.1.7"]
cause = "policy_other"
reason = "sender_address"
confidence = "high"
meaning = "m"
advice = "a"
source = "s"

[[rule]]
id = "no-such-domain"
pattern = '(?i)no such domain'
cause = "not_policy"
reason = "host_not_found"
confidence = "medium"
meaning = "m"
advice = "a"
source = "s"

[[rule]]
id = "at-connect"
status = ["5.*.*"]
stage = ["connect"]
cause = "reputation_other"
confidence = "low"
meaning = "m"
advice = "a"
source = "s"
"#;

    fn best<'k>(k: &'k Knowledge, q: &Query<'_>) -> Option<&'k str> {
        let detected = k.detect(q.text, &q.hosts);
        k.best_match(q, &detected).map(|m| m.rule.id.as_str())
    }

    #[test]
    fn precedence() {
        let k = knowledge(RULES);
        let text = "550 5.7.606 Access denied, banned sending IP";
        let q = Query {
            text,
            status: Some("5.7.606"),
            reply: Some(550),
            ..Query::default()
        };
        // Without the provider, the wording beats the class.
        assert_eq!(best(&k, &q), Some("access-denied"));
        // The provider, detected by host name, wins with its own code.
        let q = Query {
            hosts: vec!["mx1.bigmail.example"],
            ..q
        };
        assert_eq!(best(&k, &q), Some("bigmail-606"));
        // A decisive code beats a vaguer wording.
        let q = Query {
            text: "550 5.1.7 No such domain example.org",
            status: Some("5.1.7"),
            reply: Some(550),
            ..Query::default()
        };
        assert_eq!(best(&k, &q), Some("sender-517"));
        // No enhanced code: the reply's class stands in; the stage narrows.
        let q = Query {
            text: "550 Rejected",
            reply: Some(550),
            stage: Some(Stage::Connect),
            ..Query::default()
        };
        assert_eq!(best(&k, &q), Some("at-connect"));
        let q = Query {
            stage: Some(Stage::Rcpt),
            ..q
        };
        assert_eq!(best(&k, &q), None);
    }
}
