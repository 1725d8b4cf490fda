//! `infra::discover` against the in-process server (tests/zones/infra.test.zone).

use std::net::IpAddr;
use std::time::Duration;

use blocklens::infra::{Infra, InfraLimits, discover};

use crate::common::TestServer;

async fn infra(domain: &str, limits: &InfraLimits) -> Infra {
    let dns = crate::dns_at(TestServer::shared().addr(), Duration::from_secs(1));
    discover(dns.as_ref(), domain, limits).await.unwrap()
}

fn sources<'a>(i: &'a Infra, ip: &str) -> &'a [String] {
    let ip: IpAddr = ip.parse().unwrap();
    &i.addresses
        .iter()
        .find(|a| a.ip == ip)
        .unwrap_or_else(|| panic!("{ip} not found in {:#?}", i.addresses))
        .sources
}

fn has(list: &[String], needle: &str) -> bool {
    list.iter().any(|s| s.contains(needle))
}

#[tokio::test]
async fn mx_hosts_and_spf_addresses_with_provenance() {
    let i = infra("Infra.Test.", &InfraLimits::default()).await;
    assert_eq!(i.domain, "infra.test");
    assert_eq!(
        sources(&i, "192.0.2.25"),
        ["MX mx1.infra.test", "SPF mx (MX mx1.infra.test)"]
    );
    assert_eq!(
        sources(&i, "2001:db8::26"),
        ["MX mx2.infra.test", "SPF mx (MX mx2.infra.test)"]
    );
    assert_eq!(sources(&i, "192.0.2.80"), ["SPF a:web.infra.test"]);
    // A /28 is expanded: all 16 addresses, network and broadcast included.
    for last in [0, 7, 15] {
        assert_eq!(
            sources(&i, &format!("198.51.100.{last}")),
            ["SPF ip4:198.51.100.0/28"]
        );
    }
    assert!(
        !i.addresses
            .iter()
            .any(|a| a.ip == "198.51.100.16".parse::<IpAddr>().unwrap())
    );
    assert_eq!(
        sources(&i, "192.0.2.66"),
        ["SPF include:_spf.infra.test ip4:192.0.2.64/30"]
    );
    // `a/31` of the included domain's own address.
    assert_eq!(
        sources(&i, "192.0.2.91"),
        ["SPF include:_spf.infra.test a/31"]
    );
    assert_eq!(
        sources(&i, "192.0.2.99"),
        ["SPF include:_spf.infra.test redirect=_redir.infra.test ip4:192.0.2.99"]
    );
    // Not authorised (~) is not infrastructure.
    assert!(
        !i.addresses
            .iter()
            .any(|a| a.ip.to_string() == "192.0.2.200")
    );
    assert!(has(
        &i.notes,
        "SPF ~ip4:192.0.2.200: not an authorisation (qualifier ~)"
    ));
}

#[tokio::test]
async fn large_ranges_notes_and_problems() {
    let i = infra("infra.test", &InfraLimits::default()).await;
    // Large ranges are listed with their size, not expanded.
    let ranges: Vec<(String, u128, &[String])> = i
        .ranges
        .iter()
        .map(|r| (r.net.to_string(), r.size, r.sources.as_slice()))
        .collect();
    assert_eq!(
        ranges,
        [
            (
                "203.0.113.0/24".to_string(),
                256,
                &["SPF ip4:203.0.113.0/24".to_string()][..]
            ),
            (
                "2001:db8:1::/64".to_string(),
                1 << 64,
                &["SPF ip6:2001:db8:1::/64".to_string()][..]
            ),
        ]
    );
    assert_eq!(
        i.addresses.len(),
        3 + 1 + 16 + 4 + 2 + 1,
        "{:#?}",
        i.addresses
    );
    // By design not walked: macros, exists, ptr, the loop back to the top.
    for note in [
        "SPF exists:%{i}.ex.infra.test: authorises by a DNS lookup",
        "SPF include:_spf.infra.test include:%{d}.macro.infra.test: the name holds a macro",
        "SPF include:_spf.infra.test ptr: authorises by a DNS lookup",
        "SPF include:_loop.infra.test include:infra.test: infra.test was already walked",
        "the SPF tree has 12 DNS-querying terms; receivers stop at 10",
    ] {
        assert!(has(&i.notes, note), "no note {note:?} in {:#?}", i.notes);
    }
    // Failures and broken references make the inventory incomplete, and say where.
    for problem in [
        "MX mx3.infra.test: mx3.infra.test has no A or AAAA record",
        "SPF mx (MX mx3.infra.test): mx3.infra.test has no A or AAAA record",
        "SPF include:_spf.infra.test redirect=_redir.infra.test include:_missing.infra.test: _missing.infra.test publishes no SPF record",
        "SPF include:_spf.infra.test redirect=_redir.infra.test include:x.servfail.test: the TXT lookup of x.servfail.test failed (SERVFAIL)",
    ] {
        assert!(
            has(&i.problems, problem),
            "no problem {problem:?} in {:#?}",
            i.problems
        );
    }
    assert_eq!(i.problems.len(), 4, "{:#?}", i.problems);
    assert_eq!(i.spf_lookups, 12);
}

#[tokio::test]
async fn implicit_and_null_mx_and_plus_all() {
    let i = infra("nomx.infra.test", &InfraLimits::default()).await;
    assert_eq!(
        sources(&i, "192.0.2.77"),
        ["implicit MX nomx.infra.test (no MX records)"]
    );
    assert!(
        has(
            &i.problems,
            "SPF +all: authorises every address on the Internet"
        ),
        "{:#?}",
        i.problems
    );
    let i = infra("nullmx.infra.test", &InfraLimits::default()).await;
    assert!(i.addresses.is_empty(), "{:#?}", i.addresses);
    assert!(
        has(&i.notes, "nullmx.infra.test publishes a null MX"),
        "{:#?}",
        i.notes
    );
    assert!(
        has(&i.notes, "nullmx.infra.test publishes no SPF record"),
        "{:#?}",
        i.notes
    );
}

#[tokio::test]
async fn depth_and_expansion_limits_and_broken_records() {
    let i = infra("d1.infra.test", &InfraLimits::default()).await;
    let chain = "SPF include:d2.infra.test include:d3.infra.test include:d4.infra.test include:d5.infra.test ip4:192.0.2.5";
    assert_eq!(sources(&i, "192.0.2.5"), [chain]);
    let shallow = InfraLimits {
        max_depth: 3,
        ..InfraLimits::default()
    };
    let i = infra("d1.infra.test", &shallow).await;
    assert!(i.addresses.is_empty());
    assert!(
        has(
            &i.problems,
            "nesting deeper than 3 includes; d5.infra.test was not walked"
        ),
        "{:#?}",
        i.problems
    );
    // With a smaller expansion limit the /28 stays a range.
    let small = InfraLimits {
        expand_up_to: 4,
        ..InfraLimits::default()
    };
    let i = infra("infra.test", &small).await;
    assert!(
        i.ranges
            .iter()
            .any(|r| r.net.to_string() == "198.51.100.0/28" && r.size == 16)
    );
    assert_eq!(
        sources(&i, "192.0.2.64"),
        ["SPF include:_spf.infra.test ip4:192.0.2.64/30"]
    );

    let i = infra("twice.infra.test", &InfraLimits::default()).await;
    assert!(
        has(&i.problems, "twice.infra.test publishes 2 SPF records"),
        "{:#?}",
        i.problems
    );
    let i = infra("broken.infra.test", &InfraLimits::default()).await;
    assert!(
        has(
            &i.problems,
            "the record of broken.infra.test is broken: syntax error"
        ),
        "{:#?}",
        i.problems
    );
    let dns = crate::dns_at(TestServer::shared().addr(), Duration::from_secs(1));
    let e = discover(dns.as_ref(), "not a domain!", &InfraLimits::default())
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("'not a domain!' is not a domain name: "),
        "{e}"
    );
}
