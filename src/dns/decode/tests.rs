//! The decoder against hand-built replies, and property tests: arbitrary and
//! mutated replies never panic, and never turn into a verdict they do not hold.

use std::net::Ipv4Addr;

use proptest::prelude::*;

use super::*;
use crate::dns::wire::{TYPE_A, TYPE_AAAA, TYPE_MX, TYPE_PTR, TYPE_TXT, encode_name};

const ID: u16 = 0x4242;

fn wire(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    if name.is_empty() {
        out.push(0);
    } else {
        encode_name(name, &mut out).unwrap();
    }
    out
}

/// A record in the additional section: owner, type, class, TTL, RDATA.
type Extra = (Vec<u8>, u16, u16, u32, Vec<u8>);

/// A reply under construction: header fields, a question, and sections of
/// (owner, type, rdata) records in class IN.
#[derive(Clone)]
struct Reply {
    id: u16,
    flags: u16,
    question: Option<(String, u16)>,
    answers: Vec<(Vec<u8>, u16, Vec<u8>)>,
    authority: Vec<(Vec<u8>, u16, Vec<u8>)>,
    additional: Vec<Extra>,
}

impl Reply {
    /// A NOERROR response to `name`/`qtype`, RD and RA set.
    fn to(name: &str, qtype: u16) -> Reply {
        Reply {
            id: ID,
            flags: 0x8180,
            question: Some((name.into(), qtype)),
            answers: vec![],
            authority: vec![],
            additional: vec![],
        }
    }

    fn rcode(mut self, rcode: u16) -> Reply {
        self.flags = (self.flags & !0xf) | rcode;
        self
    }

    fn answer(mut self, owner: &str, rtype: u16, rdata: Vec<u8>) -> Reply {
        self.answers.push((wire(owner), rtype, rdata));
        self
    }

    fn a(self, owner: &str, ip: [u8; 4]) -> Reply {
        self.answer(owner, TYPE_A, ip.to_vec())
    }

    fn cname(self, owner: &str, target: &str) -> Reply {
        self.answer(owner, TYPE_CNAME, wire(target))
    }

    fn bytes(&self) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&self.id.to_be_bytes());
        m.extend_from_slice(&self.flags.to_be_bytes());
        let counts = [
            u16::from(self.question.is_some()),
            self.answers.len() as u16,
            self.authority.len() as u16,
            self.additional.len() as u16,
        ];
        for c in counts {
            m.extend_from_slice(&c.to_be_bytes());
        }
        if let Some((name, qtype)) = &self.question {
            m.extend_from_slice(&wire(name));
            m.extend_from_slice(&qtype.to_be_bytes());
            m.extend_from_slice(&CLASS_IN.to_be_bytes());
        }
        let rrs = self
            .answers
            .iter()
            .chain(&self.authority)
            .map(|(o, t, d)| (o.clone(), *t, CLASS_IN, 60, d.clone()))
            .chain(self.additional.iter().cloned());
        for (owner, rtype, class, ttl, rdata) in rrs {
            m.extend_from_slice(&owner);
            m.extend_from_slice(&rtype.to_be_bytes());
            m.extend_from_slice(&class.to_be_bytes());
            m.extend_from_slice(&ttl.to_be_bytes());
            m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            m.extend_from_slice(&rdata);
        }
        m
    }
}

fn ask(reply: &Reply, name: &str, rtype: RecordType) -> Decision {
    let qname = wire(name);
    let q = Question {
        id: ID,
        name: &qname,
        rtype,
    };
    decide(&reply.bytes(), &q)
}

const Q: &str = "2.0.0.127.bl.test";

fn soa() -> Vec<u8> {
    let mut d = wire("ns.bl.test");
    d.extend(wire("hostmaster.bl.test"));
    d.extend_from_slice(&[0; 20]);
    d
}

fn bad(d: &Decision) -> &str {
    match d {
        Decision::Done(Outcome::Failed(Failure::BadAnswer(s))) => s,
        other => panic!("not a bad answer: {other:?}"),
    }
}

#[test]
fn verdicts() {
    let listed = Reply::to(Q, TYPE_A).a(Q, [127, 0, 0, 2]);
    assert_eq!(
        ask(&listed, Q, RecordType::A),
        Decision::Done(Outcome::Records(vec![Record::A(Ipv4Addr::new(
            127, 0, 0, 2
        ))]))
    );
    let nx = Reply {
        authority: vec![(wire("bl.test"), TYPE_SOA, soa())],
        ..Reply::to(Q, TYPE_A).rcode(3)
    };
    assert_eq!(
        ask(&nx, Q, RecordType::A),
        Decision::Done(Outcome::NxDomain)
    );
    let nodata = Reply::to(Q, TYPE_A);
    assert_eq!(
        ask(&nodata, Q, RecordType::A),
        Decision::Done(Outcome::NoData)
    );
    // The question matches without regard to case (0x20-style servers).
    assert_eq!(
        ask(&listed, "2.0.0.127.BL.Test", RecordType::A),
        ask(&listed, Q, RecordType::A)
    );
}

#[test]
fn chains_are_followed_to_their_end() {
    let r = Reply::to(Q, TYPE_A)
        .cname(Q, "a.other.test")
        .cname("a.other.test", "b.other.test")
        .a("b.other.test", [127, 0, 0, 4]);
    assert_eq!(
        ask(&r, Q, RecordType::A),
        Decision::Done(Outcome::Records(vec![Record::A(Ipv4Addr::new(
            127, 0, 0, 4
        ))]))
    );
    // NXDOMAIN at the end of a chain is NXDOMAIN (RFC 6604).
    let r = Reply::to(Q, TYPE_A).rcode(3).cname(Q, "gone.other.test");
    assert_eq!(ask(&r, Q, RecordType::A), Decision::Done(Outcome::NxDomain));
    // DNAME: bl.test -> mirror.test, so the answer is owned by 2.0.0.127.mirror.test.
    let r = Reply::to(Q, TYPE_A)
        .answer("bl.test", TYPE_DNAME, wire("mirror.test"))
        .a("2.0.0.127.mirror.test", [127, 0, 0, 2]);
    assert!(matches!(
        ask(&r, Q, RecordType::A),
        Decision::Done(Outcome::Records(_))
    ));
    // The same with the synthesised CNAME a server adds.
    let r = Reply::to(Q, TYPE_A)
        .answer("bl.test", TYPE_DNAME, wire("mirror.test"))
        .cname(Q, "2.0.0.127.mirror.test")
        .a("2.0.0.127.mirror.test", [127, 0, 0, 2]);
    assert!(matches!(
        ask(&r, Q, RecordType::A),
        Decision::Done(Outcome::Records(_))
    ));
}

#[test]
fn replies_that_do_not_answer_the_question_are_failures() {
    let cases: Vec<(Reply, RecordType, &str)> = vec![
        (
            Reply::to(Q, TYPE_A).a("3.0.0.127.bl.test", [127, 0, 0, 2]),
            RecordType::A,
            "not for 2.0.0.127.bl.test.",
        ),
        (
            Reply::to(Q, TYPE_A).rcode(3).a(Q, [127, 0, 0, 2]),
            RecordType::A,
            "NXDOMAIN that carries 1 A",
        ),
        (
            Reply::to(Q, TYPE_A).cname(Q, "x.test").cname("x.test", Q),
            RecordType::A,
            "loop",
        ),
        (Reply::to(Q, TYPE_A).cname(Q, Q), RecordType::A, "loop"),
        (
            Reply::to(Q, TYPE_A).answer(Q, TYPE_AAAA, vec![0; 16]),
            RecordType::A,
            "AAAA record",
        ),
        (
            Reply::to(Q, TYPE_A).cname(Q, "x.test").a(Q, [127, 0, 0, 2]),
            RecordType::A,
            "not for x.test.",
        ),
        (
            Reply::to(Q, TYPE_A)
                .cname("elsewhere.test", "x.test")
                .a(Q, [127, 0, 0, 2]),
            RecordType::A,
            "not on the chain",
        ),
        (
            Reply::to(Q, TYPE_A).cname(Q, "x.test").cname(Q, "y.test"),
            RecordType::A,
            "two CNAME",
        ),
        (
            Reply::to(Q, TYPE_A).answer(Q, TYPE_A, vec![127, 0, 0]),
            RecordType::A,
            "not 4 bytes",
        ),
        (
            Reply::to(Q, TYPE_TXT).answer(Q, TYPE_TXT, vec![9, b'a']),
            RecordType::Txt,
            "TXT string runs past",
        ),
        (
            Reply {
                flags: 0x8100,
                authority: vec![(wire("bl.test"), TYPE_NS, wire("ns.bl.test"))],
                ..Reply::to(Q, TYPE_A)
            },
            RecordType::A,
            "referral",
        ),
    ];
    for (reply, rtype, want) in cases {
        let d = ask(&reply, Q, rtype);
        assert!(bad(&d).contains(want), "{want}: {d:?}");
    }
    let mut chain = Reply::to(Q, TYPE_A).cname(Q, "l0.test");
    for i in 0..MAX_CHAIN {
        chain = chain.cname(&format!("l{i}.test"), &format!("l{}.test", i + 1));
    }
    assert!(bad(&ask(&chain, Q, RecordType::A)).contains("longer than 16"));
}

#[test]
fn strays_are_not_ours_and_codes_are_failures() {
    let ok = Reply::to(Q, TYPE_A).a(Q, [127, 0, 0, 2]);
    for stray in [
        Reply {
            id: ID + 1,
            ..ok.clone()
        },
        Reply {
            flags: 0x0100,
            ..ok.clone()
        },
        Reply {
            question: Some(("3.0.0.127.bl.test".into(), TYPE_A)),
            ..ok.clone()
        },
        Reply {
            question: Some((Q.into(), TYPE_TXT)),
            ..ok.clone()
        },
        Reply {
            question: None,
            ..ok.clone()
        },
        Reply {
            question: None,
            ..Reply::to(Q, TYPE_A).rcode(3)
        },
    ] {
        assert_eq!(ask(&stray, Q, RecordType::A), Decision::NotOurs);
    }
    assert_eq!(
        decide(
            &[0x42, 0x42, 0x81],
            &Question {
                id: ID,
                name: &wire(Q),
                rtype: RecordType::A
            }
        ),
        Decision::NotOurs
    );
    let tc = Reply {
        flags: 0x8380,
        ..Reply::to(Q, TYPE_TXT)
    };
    assert_eq!(ask(&tc, Q, RecordType::Txt), Decision::Truncated);
    for (rcode, want) in [
        (1, Failure::FormErr),
        (2, Failure::ServFail),
        (4, Failure::NotImp),
        (5, Failure::Refused),
        (9, Failure::Rcode(9)),
    ] {
        let r = Reply::to(Q, TYPE_A).rcode(rcode);
        assert_eq!(
            ask(&r, Q, RecordType::A),
            Decision::Done(Outcome::Failed(want.clone()))
        );
        // Some servers leave the question out of an error: still a failure.
        let r = Reply {
            question: None,
            ..r
        };
        assert_eq!(
            ask(&r, Q, RecordType::A),
            Decision::Done(Outcome::Failed(want))
        );
    }
    // BADVERS: extended RCODE 1 in the OPT record, header RCODE 0.
    let r = Reply {
        additional: vec![(vec![0], TYPE_OPT, 1232, 1 << 24, vec![])],
        ..Reply::to(Q, TYPE_A)
    };
    assert_eq!(
        ask(&r, Q, RecordType::A),
        Decision::Done(Outcome::Failed(Failure::Rcode(16)))
    );
}

#[test]
fn record_types_and_compression() {
    let txt = Reply::to(Q, TYPE_TXT).answer(Q, TYPE_TXT, b"\x05hello\x06 world".to_vec());
    assert_eq!(
        ask(&txt, Q, RecordType::Txt),
        Decision::Done(Outcome::Records(vec![Record::Txt("hello world".into())]))
    );
    let mut mx = vec![0, 10];
    mx.extend(wire("mail.example.org"));
    let r = Reply::to("example.org", TYPE_MX).answer("example.org", TYPE_MX, mx);
    assert_eq!(
        ask(&r, "example.org", RecordType::Mx),
        Decision::Done(Outcome::Records(vec![Record::Mx(
            10,
            "mail.example.org".into()
        )]))
    );
    let name = "10.2.0.192.in-addr.arpa";
    let r = Reply::to(name, TYPE_PTR).answer(name, TYPE_PTR, wire("mx.example.org"));
    assert_eq!(
        ask(&r, name, RecordType::Ptr),
        Decision::Done(Outcome::Records(vec![Record::Ptr("mx.example.org".into())]))
    );
    // Owner names compressed to the question (offset 12), as servers send them.
    let mut m = Reply::to(Q, TYPE_A).bytes();
    m[7] = 2;
    for last in [2u8, 3] {
        m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, last]);
    }
    let q = Question {
        id: ID,
        name: &wire(Q),
        rtype: RecordType::A,
    };
    assert_eq!(
        decide(&m, &q),
        Decision::Done(Outcome::Records(vec![
            Record::A(Ipv4Addr::new(127, 0, 0, 2)),
            Record::A(Ipv4Addr::new(127, 0, 0, 3))
        ]))
    );
    // A body cut short after the question: malformed, a failure.
    m.truncate(m.len() - 3);
    assert!(bad(&decide(&m, &q)).starts_with("malformed reply"));
}

fn verdict(d: &Decision) -> bool {
    matches!(
        d,
        Decision::Done(Outcome::Records(_) | Outcome::NxDomain | Outcome::NoData)
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..600)) {
        // Start with the right ID and a response header so the decoder goes deep.
        let mut m = vec![0x42, 0x42, 0x81, 0x80];
        m.extend(tail);
        let qname = wire(Q);
        for rtype in [RecordType::A, RecordType::Txt, RecordType::Mx, RecordType::Ptr] {
            let _ = decide(&m, &Question { id: ID, name: &qname, rtype });
        }
    }

    #[test]
    fn mutated_replies_never_panic_nor_become_a_wrong_verdict(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let base = Reply::to(Q, TYPE_A)
            .cname(Q, "a.other.test")
            .a("a.other.test", [127, 0, 0, 2])
            .answer("bl.test", TYPE_DNAME, wire("m.test"));
        let base = Reply { authority: vec![(wire("bl.test"), TYPE_SOA, soa())], ..base };
        let mut m = base.bytes();
        for (at, byte) in edits {
            let i = at.index(m.len());
            m[i] = byte;
        }
        if truncate {
            m.truncate(cut.index(m.len() + 1));
        }
        let qname = wire(Q);
        let d = decide(&m, &Question { id: ID, name: &qname, rtype: RecordType::A });
        // A verdict is only possible if the header still says: this ID, a
        // response, one question.
        if verdict(&d) {
            prop_assert_eq!(&m[..2], &[0x42, 0x42]);
            prop_assert!(m[2] & 0x80 != 0);
        }
        if let Decision::Done(Outcome::Records(rs)) = &d {
            prop_assert!(!rs.is_empty());
        }
    }
}
