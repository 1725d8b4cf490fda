//! One zone x one target: the query, the decoding of its answer, and the
//! RFC 5782 test points that tell whether a zone's silence can be trusted.

use std::net::{Ipv4Addr, SocketAddr};

use crate::catalog::Zone;
use crate::dns::{Dns, Outcome, RecordType};
use crate::report::{Health, Status, ZoneResult};
use crate::target::{Family, Target};

/// What an A answer means for a zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// listed, unusable (error codes only) or error (outside 127/8).
    pub status: Status,
    /// Meanings of the listing codes (or of the error codes when unusable).
    pub meanings: Vec<String>,
    /// Why the answer is unusable or an error.
    pub detail: Option<String>,
}

/// Decodes the A records of a positive answer (README, "The catalog"):
/// an answer outside 127.0.0.0/8 makes the result `error`; error codes are
/// checked first; then `codes` (most specific key wins) or `bits`.
pub fn decode(zone: &Zone, answers: &[Ipv4Addr]) -> Decoded {
    if let Some(bad) = answers.iter().find(|a| a.octets()[0] != 127) {
        return Decoded {
            status: Status::Error,
            meanings: vec![],
            detail: Some(format!(
                "answer {bad} is outside 127.0.0.0/8: the list is dead, parked or hijacked, or the resolver rewrites answers; not a listing"
            )),
        };
    }
    let mut listings = Vec::new();
    let mut errors = Vec::new();
    for answer in answers {
        if let Some(meaning) = most_specific(&zone.errors, *answer) {
            push_unique(&mut errors, meaning.to_string());
        } else {
            for meaning in listing_meanings(zone, *answer) {
                push_unique(&mut listings, meaning);
            }
        }
    }
    if !listings.is_empty() {
        Decoded {
            status: Status::Listed,
            meanings: listings,
            detail: None,
        }
    } else {
        Decoded {
            status: Status::Unusable,
            detail: Some(format!("the list refused to answer: {}", errors.join("; "))),
            meanings: errors,
        }
    }
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

fn most_specific(table: &[(ipnet::Ipv4Net, String)], ip: Ipv4Addr) -> Option<&str> {
    table
        .iter()
        .filter(|(net, _)| net.contains(&ip))
        .max_by_key(|(net, _)| net.prefix_len())
        .map(|(_, m)| m.as_str())
}

fn listing_meanings(zone: &Zone, ip: Ipv4Addr) -> Vec<String> {
    if !zone.bits.is_empty() {
        let last = ip.octets()[3];
        let mut out: Vec<String> = Vec::new();
        for bit in (0..8).map(|i| 1u8 << i).filter(|b| last & b != 0) {
            match zone.bits.iter().find(|(b, _)| *b == bit) {
                Some((_, m)) => out.push(m.clone()),
                None => out.push(format!("undocumented bit {bit} in code {ip}")),
            }
        }
        if out.is_empty() {
            out.push(format!("undocumented code {ip}"));
        }
        return out;
    }
    vec![
        most_specific(&zone.codes, ip)
            .map(str::to_string)
            .unwrap_or_else(|| format!("undocumented code {ip}")),
    ]
}

/// Queries `zone` for `target`: the A record, then TXT for a listing when the
/// zone says `txt = true`. The result is not yet adjusted for the zone's test
/// point (see [`Probe::adjust`]). Sent to one server (`Some`) or any (`None`,
/// failover allowed); the TXT query goes to the server that answered the A
/// query, and the result names it (`resolver`).
pub async fn check_zone_on(
    dns: &dyn Dns,
    server: Option<SocketAddr>,
    zone: &Zone,
    target: &Target,
) -> ZoneResult {
    let name = target.query_name(&zone.query_zone);
    let ask = |server: Option<SocketAddr>, rtype| match server {
        Some(s) => dns.lookup_on(s, &name, rtype),
        None => dns.lookup_any(&name, rtype),
    };
    let answer = ask(server, RecordType::A).await;
    let mut result = zone_result(zone, target, answer.outcome);
    result.resolver = answer.server.map(|s| s.to_string());
    if result.status == Status::Listed && zone.txt {
        match ask(answer.server.or(server), RecordType::Txt).await.outcome {
            Outcome::Failed(f) => {
                result.detail = Some(format!("the TXT reason could not be fetched: {f}"));
            }
            txt => result.txt = txt.txts(),
        }
    }
    result
}

/// The result of `zone` for `target` from the outcome of its A query
/// (without TXT, and not yet adjusted for the zone's test points).
pub fn zone_result(zone: &Zone, target: &Target, outcome: Outcome) -> ZoneResult {
    let mut result = ZoneResult {
        zone: zone.zone.clone(),
        name: zone.name.clone(),
        role: zone.role,
        query: target.query_name(&zone.zone),
        status: Status::Error,
        answers: vec![],
        meanings: vec![],
        txt: vec![],
        detail: None,
        lookup_url: zone.lookup_url_for(&target.to_string()),
        resolver: None,
        listed_since: None,
        change: None,
    };
    match outcome {
        Outcome::NxDomain | Outcome::NoData => result.status = Status::NotListed,
        Outcome::Failed(f) => {
            result.detail = Some(format!("no usable answer: {f}"));
        }
        Outcome::Records(_) => {
            let ips = outcome.ipv4s();
            result.answers = ips.iter().map(ToString::to_string).collect();
            let decoded = decode(zone, &ips);
            result.status = decoded.status;
            result.meanings = decoded.meanings;
            result.detail = decoded.detail;
        }
    }
    result
}

/// What a zone's two test points showed through this resolver.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// The positive test point's result.
    pub positive: ZoneResult,
    /// The negative test point's result.
    pub negative: ZoneResult,
    /// Where the queries went, for messages.
    pub resolver: String,
    /// The server the test points were sent to (None: any, failover allowed).
    pub server: Option<SocketAddr>,
    /// The positive test point, as a target.
    pub point: Target,
    /// The zone's health, worked out once from the two results.
    health: Health,
    /// Why, in a sentence.
    why: String,
    /// The positive test point is listed: this resolver passes the zone's
    /// answers, so its NXDOMAIN means not listed.
    nxdomain_trusted: bool,
    /// The negative test point is not listed (NXDOMAIN): the zone does not
    /// list everything, so its listings mean something.
    listings_trusted: bool,
}

impl Probe {
    /// Queries both test points of `zone` in `family`.
    pub async fn run(dns: &dyn Dns, zone: &Zone, family: Family) -> Probe {
        Probe::run_on(dns, None, zone, family).await
    }

    /// Queries both test points on one server (`Some`): a proof holds only
    /// for the server that gave it.
    pub async fn run_on(
        dns: &dyn Dns,
        server: Option<SocketAddr>,
        zone: &Zone,
        family: Family,
    ) -> Probe {
        let pos = zone.positive_point(family);
        let neg = family.negative();
        let (positive, negative) = futures::join!(
            check_zone_on(dns, server, zone, &pos),
            check_zone_on(dns, server, zone, &neg)
        );
        let mut probe = Probe {
            positive,
            negative,
            resolver: server.map_or_else(|| dns.describe(), |s| s.to_string()),
            server,
            point: pos,
            health: Health::Healthy,
            why: String::new(),
            nxdomain_trusted: false,
            listings_trusted: false,
        };
        probe.nxdomain_trusted = probe.positive.status == Status::Listed;
        probe.listings_trusted = probe.negative.status == Status::NotListed;
        (probe.health, probe.why) = probe.assess();
        probe
    }

    /// The zone's health, and a sentence saying why.
    pub fn health(&self) -> (Health, &str) {
        (self.health, &self.why)
    }

    /// The positive test point, named the same way for every zone (so the
    /// same failure on several zones reads the same and can be grouped).
    fn test_point(&self) -> String {
        self.point.to_string()
    }

    fn assess(&self) -> (Health, String) {
        let neg = &self.negative;
        if neg.status == Status::Listed || (neg.status == Status::Error && !neg.answers.is_empty())
        {
            return (
                Health::ListsEverything,
                format!(
                    "it lists the negative test point {} ({}): the list is dead or wildcarded and its answers mean nothing",
                    neg.query,
                    neg.answers.join(", ")
                ),
            );
        }
        let (health, why) = self.assess_positive();
        if health == Health::Healthy && !self.listings_trusted {
            return (
                Health::NotAnswering,
                format!(
                    "its negative test point {} got no usable answer from {} ({}): it has not shown that it does not list everything, so its listings are not trusted",
                    neg.query,
                    self.resolver,
                    neg.detail.as_deref().unwrap_or(neg.status.as_str())
                ),
            );
        }
        (health, why)
    }

    fn assess_positive(&self) -> (Health, String) {
        let tp = self.test_point();
        let pos = &self.positive;
        match pos.status {
            Status::Listed => (
                Health::Healthy,
                format!("test point {tp} listed ({})", pos.answers.join(", ")),
            ),
            Status::Unusable => (
                Health::Refuses,
                format!(
                    "it refuses to answer its test point {tp}: {}",
                    pos.meanings.join("; ")
                ),
            ),
            Status::Error if !pos.answers.is_empty() => (
                Health::ListsEverything,
                format!(
                    "its test point {tp} answers {} (outside 127.0.0.0/8): a parked or hijacked domain, or a resolver that rewrites answers",
                    pos.answers.join(", ")
                ),
            ),
            Status::Error => (
                Health::NotAnswering,
                format!(
                    "its test point {tp} got no usable answer from {} ({})",
                    self.resolver,
                    pos.detail.as_deref().unwrap_or("no answer")
                ),
            ),
            Status::NotListed => (
                Health::TestPointMissing,
                format!(
                    "its test point {tp} is not listed through {}: the resolver hides this list's answers, or the list is empty",
                    self.resolver
                ),
            ),
        }
    }

    /// Whether the zone proved itself through this server: healthy.
    pub fn proves(&self) -> bool {
        self.health == Health::Healthy
    }

    /// Whether this zone's NXDOMAIN means not listed (its positive test
    /// point is listed and it does not list everything).
    pub fn trusts_nxdomain(&self) -> bool {
        self.nxdomain_trusted && self.health != Health::ListsEverything
    }

    /// Adjusts a target's result for what the test points showed: NXDOMAIN
    /// is trusted only when the positive test point is listed, a listing only
    /// when the negative one is not, and nothing from a zone that lists
    /// everything counts.
    pub fn adjust(&self, result: &mut ZoneResult) {
        let why = &self.why;
        if self.health == Health::ListsEverything {
            if matches!(result.status, Status::Listed | Status::NotListed) {
                result.status = Status::Error;
                result.detail = Some(format!("not trusted: {why}"));
            }
            return;
        }
        match result.status {
            Status::NotListed if !self.nxdomain_trusted => {
                result.status = Status::Unusable;
                result.detail = Some(format!("NXDOMAIN not trusted: {why}"));
            }
            Status::Listed if !self.listings_trusted => {
                result.status = Status::Unusable;
                result.detail = Some(format!("listing not trusted: {why}"));
            }
            _ => {}
        }
    }
}

/// What to do when a resolver hides or refuses blocklist answers.
pub const RESOLVER_ADVICE: &str = "Public and cloud resolvers (8.8.8.8, 1.1.1.1, 9.9.9.9, hosting providers' resolvers) are refused or answer NXDOMAIN for blocklists: query through your own recursive resolver (e.g. unbound on this host, --resolver 127.0.0.1), or use the list's keyed service (Spamhaus DQS: --zone YOURKEY.zen.dq.spamhaus.net).";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use std::path::Path;

    fn zone(toml: &str) -> Zone {
        let mut c = Catalog::default();
        c.add_file(Path::new("test.toml"), toml).unwrap();
        c.zones.remove(0)
    }

    fn spamhaus() -> Zone {
        zone(
            r#"
[[zone]]
zone = "zen.example"
name = "ZEN"
targets = "ip"
[zone.codes]
"127.0.0.2" = "SBL"
"127.0.0.4/30" = "XBL"
"127.0.0.10" = "PBL"
"127.0.0.0/24" = "generic"
[zone.errors]
"127.255.255.0/24" = "refused"
"127.255.255.254" = "public resolver"
"#,
        )
    }

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn exact_codes_and_cidr_keys() {
        let z = spamhaus();
        let d = decode(&z, &[ip("127.0.0.2")]);
        assert_eq!(
            (d.status, d.meanings),
            (Status::Listed, vec!["SBL".to_string()])
        );
        for xbl in ["127.0.0.4", "127.0.0.5", "127.0.0.7"] {
            assert_eq!(decode(&z, &[ip(xbl)]).meanings, ["XBL"], "{xbl}");
        }
        // The /24 is less specific than the /30 and the exact key.
        assert_eq!(decode(&z, &[ip("127.0.0.8")]).meanings, ["generic"]);
    }

    #[test]
    fn several_answers_are_all_decoded() {
        let d = decode(
            &spamhaus(),
            &[ip("127.0.0.4"), ip("127.0.0.2"), ip("127.0.0.10")],
        );
        assert_eq!(d.status, Status::Listed);
        assert_eq!(d.meanings, ["XBL", "SBL", "PBL"]);
    }

    #[test]
    fn error_codes_are_checked_first_and_make_it_unusable() {
        let d = decode(&spamhaus(), &[ip("127.255.255.254")]);
        assert_eq!(d.status, Status::Unusable);
        assert_eq!(d.meanings, ["public resolver"]);
        assert!(d.detail.unwrap().contains("public resolver"));
        let d = decode(&spamhaus(), &[ip("127.255.255.7")]);
        assert_eq!(
            (d.status, d.meanings),
            (Status::Unusable, vec!["refused".to_string()])
        );
    }

    #[test]
    fn undocumented_code_is_still_listed() {
        let z = zone(
            "[[zone]]\nzone = \"x.example\"\nname = \"X\"\ntargets = \"ip\"\n[zone.codes]\n\"127.0.0.2\" = \"two\"\n",
        );
        let d = decode(&z, &[ip("127.0.0.99")]);
        assert_eq!(d.status, Status::Listed);
        assert_eq!(d.meanings, ["undocumented code 127.0.0.99"]);
    }

    #[test]
    fn answers_outside_loopback_are_errors_never_listings() {
        let d = decode(&spamhaus(), &[ip("127.0.0.2"), ip("91.195.240.117")]);
        assert_eq!(d.status, Status::Error);
        assert!(d.detail.unwrap().contains("91.195.240.117"));
    }

    #[test]
    fn bitmask_lists_name_every_set_bit() {
        let z = zone(
            r#"
[[zone]]
zone = "multi.example"
name = "multi"
targets = "domain"
[zone.bits]
"2" = "black"
"4" = "grey"
"64" = "abuse"
[zone.errors]
"127.0.0.1" = "refused"
"#,
        );
        assert_eq!(decode(&z, &[ip("127.0.0.6")]).meanings, ["black", "grey"]);
        assert_eq!(
            decode(&z, &[ip("127.0.0.80")]).meanings,
            ["undocumented bit 16 in code 127.0.0.80", "abuse"]
        );
        let refused = decode(&z, &[ip("127.0.0.1")]);
        assert_eq!(refused.status, Status::Unusable);
        assert_eq!(
            decode(&z, &[ip("127.0.0.0")]).meanings,
            ["undocumented code 127.0.0.0"]
        );
    }

    #[test]
    fn test_points_per_family() {
        let z = spamhaus();
        assert_eq!(z.positive_point(Family::V4).query_name("z"), "2.0.0.127.z");
        assert_eq!(
            z.positive_point(Family::V6).query_name("z"),
            "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.z"
        );
        assert_eq!(
            Family::V6.negative().query_name("z"),
            "1.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.z"
        );
        assert_eq!(z.positive_point(Family::Domain).query_name("z"), "test.z");
        assert_eq!(Family::Domain.negative().query_name("z"), "invalid.z");
        let dbl = zone(
            "[[zone]]\nzone = \"dbl.example\"\nname = \"D\"\ntargets = \"domain\"\ntest_point = \"dbltest.com\"\n",
        );
        assert_eq!(
            dbl.positive_point(Family::Domain).query_name("dbl.example"),
            "dbltest.com.dbl.example"
        );
    }
}
