//! The DNS transport (`blocklens::dns::Client`) against the hostile server:
//! every reply that does not answer the question is a failure, never a
//! verdict; pinned lookups stay on their server; a dead server is named and
//! then fails at once; lost packets are retransmitted, not lost; the bulk
//! API keeps its contract.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use blocklens::dns::{
    Answer, BulkError, BulkQuery, Client, Dns, Failure, Feed, Next, Outcome, Record, RecordType,
    ResolverSettings,
};

use crate::common::hostile::{Act, Hostile};

/// The RFC 5782 positive test point of a list called bl.test.
const TP: &str = "2.0.0.127.bl.test";
const LISTED: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

fn client(servers: &[SocketAddr], timeout_ms: u64, attempts: usize) -> Client {
    Client::new(&ResolverSettings {
        servers: servers.to_vec(),
        timeout: Duration::from_millis(timeout_ms),
        attempts,
    })
    .expect("sockets on loopback")
}

fn failure(answer: &Answer) -> &Failure {
    match &answer.outcome {
        Outcome::Failed(f) => f,
        other => panic!("a verdict where a failure was due: {other:?}"),
    }
}

fn listed() -> Outcome {
    Outcome::Records(vec![Record::A(LISTED)])
}

#[tokio::test]
async fn every_hostile_reply_is_a_failure_never_a_verdict() {
    type Check = fn(&Failure) -> bool;
    let cases: Vec<(Act, Check)> = vec![
        (
            Act::WrongOwner,
            |f| matches!(f, Failure::BadAnswer(s) if s.contains("not for 2.0.0.127.bl.test.")),
        ),
        (
            Act::NxWithA,
            |f| matches!(f, Failure::BadAnswer(s) if s.starts_with("NXDOMAIN that carries")),
        ),
        (
            Act::CnameLoop,
            |f| matches!(f, Failure::BadAnswer(s) if s.contains("loop")),
        ),
        (
            Act::AaaaOnly,
            |f| matches!(f, Failure::BadAnswer(s) if s.contains("AAAA record")),
        ),
        (Act::WrongId { then_right: false }, |f| {
            *f == Failure::Timeout
        }),
        (Act::WrongQuestion, |f| *f == Failure::Timeout),
        (Act::Late(Duration::from_millis(700)), |f| {
            *f == Failure::Timeout
        }),
        (
            Act::Truncated,
            |f| matches!(f, Failure::Truncated(s) if s.contains("TCP to 127.0.0.1")),
        ),
        (Act::Rcode(4), |f| *f == Failure::NotImp),
        (Act::Rcode(1), |f| *f == Failure::FormErr),
        (Act::Rcode(2), |f| *f == Failure::ServFail),
        (Act::Rcode(5), |f| *f == Failure::Refused),
        (Act::Rcode(9), |f| *f == Failure::Rcode(9)),
        (Act::Silent, |f| *f == Failure::Timeout),
    ];
    let runs = cases.into_iter().map(|(act, check)| async move {
        // A server per case, so one case's silence cannot mark another's server down.
        let h = Hostile::start();
        h.set(act).a(TP, LISTED);
        let c = client(&[h.addr()], 150, 2);
        let answer = c.lookup_any(TP, RecordType::A).await;
        let f = failure(&answer);
        assert!(check(f), "{act:?} gave {f:?}");
        assert_eq!(answer.server, Some(h.addr()), "{act:?}");
        assert!(h.received() >= 1);
    });
    futures::future::join_all(runs).await;
}

#[tokio::test]
async fn a_stray_reply_is_ignored_and_the_true_one_still_counts() {
    let h = Hostile::start();
    h.set(Act::WrongId { then_right: true }).a(TP, LISTED);
    let c = client(&[h.addr()], 1000, 2);
    let answer = c.lookup_any(TP, RecordType::A).await;
    assert_eq!(answer.outcome, listed());
    assert_eq!(
        c.counters().ignored,
        1,
        "the wrong-ID reply was not an answer"
    );
}

#[tokio::test]
async fn a_server_without_edns_is_asked_again_without_it() {
    let h = Hostile::start();
    h.set(Act::NoEdns).a(TP, LISTED);
    let c = client(&[h.addr()], 1000, 2);
    assert_eq!(c.lookup(TP, RecordType::A).await, listed());
    assert_eq!(h.received(), 2, "once with EDNS (FORMERR), once without");
}

#[tokio::test]
async fn truthful_answers_and_tcp_after_truncation() {
    let h = Hostile::start_with_tcp();
    h.a(TP, LISTED)
        .txt("only-txt.bl.test", "v=spf1 -all")
        .txt("big.bl.test", "over TCP")
        .on("big.bl.test", Act::Truncated);
    let c = client(&[h.addr()], 1000, 2);
    assert_eq!(c.lookup(TP, RecordType::A).await, listed());
    assert_eq!(
        c.lookup("3.0.0.127.bl.test", RecordType::A).await,
        Outcome::NxDomain
    );
    assert_eq!(
        c.lookup("only-txt.bl.test", RecordType::A).await,
        Outcome::NoData
    );
    assert_eq!(
        c.lookup("big.bl.test", RecordType::Txt).await,
        Outcome::Records(vec![Record::Txt("over TCP".into())])
    );
    assert_eq!(c.counters().tcp, 1);
    // A name that cannot be queried fails before anything is sent.
    let before = h.received();
    let bad = c.lookup_any("a..b", RecordType::A).await;
    assert!(matches!(failure(&bad), Failure::Other(s) if s.contains("empty")));
    assert_eq!(h.received(), before);
}

#[tokio::test]
async fn lookup_on_stays_on_its_server() {
    let a = Hostile::start();
    a.a(TP, LISTED);
    let b = Hostile::start();
    b.set(Act::NxAll);
    let c = client(&[a.addr(), b.addr()], 150, 2);
    assert_eq!(c.servers(), vec![a.addr(), b.addr()]);

    let on_b = c.lookup_on(b.addr(), TP, RecordType::A).await;
    assert_eq!(
        (on_b.outcome, on_b.server),
        (Outcome::NxDomain, Some(b.addr()))
    );
    let on_a = c.lookup_on(a.addr(), TP, RecordType::A).await;
    assert_eq!((on_a.outcome, on_a.server), (listed(), Some(a.addr())));
    assert_eq!((a.received(), b.received()), (1, 1));

    // A silent pinned server times out; the other server is never asked.
    b.set(Act::Silent);
    let on_b = c.lookup_on(b.addr(), TP, RecordType::A).await;
    assert_eq!(failure(&on_b), &Failure::Timeout);
    assert_eq!(a.received(), 1, "no failover for a pinned lookup");
    assert!(b.received() >= 2);

    let stranger: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let off = c.lookup_on(stranger, TP, RecordType::A).await;
    assert!(matches!(failure(&off), Failure::Other(s) if s.contains("not one of the servers")));
}

#[tokio::test]
async fn unpinned_lookups_fail_over() {
    let a = Hostile::start();
    let b = Hostile::start();
    b.a(TP, LISTED);
    let c = client(&[a.addr(), b.addr()], 200, 2);
    // SERVFAIL from the first server: the second answers.
    a.set(Act::Rcode(2));
    let answer = c.lookup_any(TP, RecordType::A).await;
    assert_eq!((answer.outcome, answer.server), (listed(), Some(b.addr())));
    // Silence from the first server: the retransmission goes to the second.
    a.set(Act::Silent);
    let answer = c.lookup_any(TP, RecordType::A).await;
    assert_eq!((answer.outcome, answer.server), (listed(), Some(b.addr())));
    // Both servers fail: the last failure, with the server that gave it.
    b.set(Act::Rcode(5));
    a.set(Act::Rcode(2));
    let answer = c.lookup_any(TP, RecordType::A).await;
    assert_eq!(failure(&answer), &Failure::Refused);
    assert_eq!(answer.server, Some(b.addr()));
}

#[tokio::test]
async fn a_server_that_never_answers_is_named_and_then_fails_at_once() {
    let h = Hostile::start();
    h.set(Act::Silent);
    let c = client(&[h.addr()], 100, 2);
    let names: Vec<String> = (0..16).map(|i| format!("{i}.0.0.127.bl.test")).collect();
    let first =
        futures::future::join_all(names.iter().map(|n| c.lookup_any(n, RecordType::A))).await;
    for a in &first {
        assert!(
            matches!(failure(a), Failure::Timeout | Failure::ServerDown(_)),
            "{a:?}"
        );
    }
    let health = c.server_health();
    let down = health[0]
        .down
        .clone()
        .expect("marked down after 16 silent queries");
    assert!(down.never_answered());
    let text = down.to_string();
    assert!(
        text.starts_with(&format!("nothing answered at {}", h.addr())),
        "{text}"
    );
    // From now on: failed at once, nothing sent.
    let sent = h.received();
    let later = c.lookup_any(TP, RecordType::A).await;
    assert_eq!(failure(&later), &Failure::ServerDown(down));
    assert_eq!(h.received(), sent);
}

/// A feed over a list of queries; checks each token is delivered once.
struct ListFeed {
    queries: Vec<(String, Option<SocketAddr>)>,
    next: usize,
    answers: Vec<Option<Answer>>,
    pace: bool,
    paused: bool,
    /// Give up at the first timed-out transmission (and count them).
    give_up: bool,
    gave_up: u64,
}

impl ListFeed {
    fn new(queries: Vec<(String, Option<SocketAddr>)>) -> ListFeed {
        let n = queries.len();
        ListFeed {
            queries,
            next: 0,
            answers: vec![None; n],
            pace: false,
            paused: false,
            give_up: false,
            gave_up: 0,
        }
    }

    fn answers(self) -> Vec<Answer> {
        self.answers
            .into_iter()
            .enumerate()
            .map(|(i, a)| a.unwrap_or_else(|| panic!("query {i} never delivered")))
            .collect()
    }
}

impl Feed for ListFeed {
    fn next(&mut self, now: Instant) -> Next<'_> {
        if self.next == self.queries.len() {
            return Next::Done;
        }
        if self.pace {
            self.paused = !self.paused;
            if self.paused {
                return Next::Wait(Some(now + Duration::from_millis(1)));
            }
        }
        let i = self.next;
        self.next += 1;
        let (name, server) = &self.queries[i];
        Next::Query(BulkQuery {
            token: i as u64,
            name,
            rtype: RecordType::A,
            server: *server,
        })
    }

    fn deliver(&mut self, token: u64, answer: Answer) {
        let slot = &mut self.answers[token as usize];
        assert!(slot.is_none(), "token {token} delivered twice");
        *slot = Some(answer);
    }

    fn keep_trying(&mut self, token: u64, failure: &Failure) -> bool {
        assert_eq!(failure, &Failure::Timeout);
        assert!(
            self.answers[token as usize].is_none(),
            "{token} already delivered"
        );
        self.gave_up += u64::from(self.give_up);
        !self.give_up
    }
}

/// 256 names under bl.test, one in four listed on `h`.
fn table(h: &Hostile) -> Vec<(String, bool)> {
    (0..256)
        .map(|i| {
            let name = format!("{i}.2.0.192.bl.test");
            let is_listed = i % 4 == 0;
            if is_listed {
                h.a(&name, LISTED);
            }
            (name, is_listed)
        })
        .collect()
}

fn truth(is_listed: bool) -> Outcome {
    if is_listed {
        listed()
    } else {
        Outcome::NxDomain
    }
}

#[tokio::test]
async fn lost_packets_are_retransmitted_not_lost() {
    let h = Hostile::start();
    h.loss(10);
    let names = table(&h);
    let c = client(&[h.addr()], 500, 2);
    let mut feed = ListFeed::new(names.iter().map(|(n, _)| (n.clone(), None)).collect());
    let run = c.bulk(&mut feed, 64).await.unwrap();
    for ((name, is_listed), a) in names.iter().zip(feed.answers()) {
        assert_eq!(a.outcome, truth(*is_listed), "{name}");
    }
    assert!(h.dropped() > 0, "the server lost packets");
    assert_eq!(run.queries, 256);
    assert!(run.timeouts > 0 && run.transmissions > 256, "{run:?}");
    // The single-lookup path too.
    let c = &c;
    let single = names.iter().take(64).map(|(n, l)| async move {
        assert_eq!(c.lookup(n, RecordType::A).await, truth(*l), "{n}");
    });
    futures::future::join_all(single).await;
}

#[tokio::test]
async fn bulk_queries_go_where_they_are_pinned_at_a_paced_rate() {
    let a = Hostile::start();
    let names = table(&a);
    let b = Hostile::start();
    b.set(Act::NxAll);
    let c = client(&[a.addr(), b.addr()], 500, 2);
    let queries = names
        .iter()
        .take(64)
        .enumerate()
        .map(|(i, (n, _))| {
            (
                n.clone(),
                Some(if i % 2 == 0 { a.addr() } else { b.addr() }),
            )
        })
        .collect();
    let mut feed = ListFeed::new(queries);
    feed.pace = true;
    c.bulk(&mut feed, 8).await.unwrap();
    for (i, ((_, is_listed), ans)) in names.iter().zip(feed.answers()).enumerate() {
        if i % 2 == 0 {
            assert_eq!(
                (ans.outcome, ans.server),
                (truth(*is_listed), Some(a.addr()))
            );
        } else {
            assert_eq!(
                (ans.outcome, ans.server),
                (Outcome::NxDomain, Some(b.addr()))
            );
        }
    }
    assert_eq!((a.received(), b.received()), (32, 32));
}

#[tokio::test]
async fn a_feed_that_waits_for_nothing_is_told_so() {
    struct Stuck;
    impl Feed for Stuck {
        fn next(&mut self, _: Instant) -> Next<'_> {
            Next::Wait(None)
        }
        fn deliver(&mut self, _: u64, _: Answer) {}
    }
    let h = Hostile::start();
    let c = client(&[h.addr()], 100, 1);
    assert!(matches!(
        c.bulk(&mut Stuck, 8).await,
        Err(BulkError::Stalled)
    ));
}

#[tokio::test]
async fn a_server_killed_mid_scan_gives_failures_after_its_last_answer() {
    let h = Hostile::start();
    let names = table(&h);
    h.stop_after(5);
    let c = client(&[h.addr()], 100, 2);
    let mut feed = ListFeed::new(
        names
            .iter()
            .take(40)
            .map(|(n, _)| (n.clone(), None))
            .collect(),
    );
    c.bulk(&mut feed, 4).await.unwrap();
    let answers = feed.answers();
    let verdicts = answers
        .iter()
        .filter(|a| !matches!(a.outcome, Outcome::Failed(_)))
        .count();
    assert_eq!(
        verdicts, 5,
        "exactly the queries answered before it stopped"
    );
    for (a, (name, is_listed)) in answers.iter().zip(&names) {
        match &a.outcome {
            Outcome::Failed(Failure::Timeout | Failure::ServerDown(_)) => {}
            Outcome::Failed(f) => panic!("{name}: {f}"),
            verdict => assert_eq!(verdict, &truth(*is_listed), "{name}"),
        }
    }
    let down = c.server_health()[0].down.clone().expect("marked down");
    assert_eq!(down.replies_before, 5);
    assert!(down.to_string().contains("after 5 replies"), "{down}");
    assert!(
        answers
            .iter()
            .any(|a| a.outcome == Outcome::Failed(Failure::ServerDown(down.clone())))
    );
}

/// 128 queries alternating between a live zone and one that never answers.
fn live_and_dead(h: &Hostile) -> (Vec<(String, bool)>, ListFeed) {
    h.on("dead.test", Act::Silent);
    let live = table(h);
    let names: Vec<(String, Option<SocketAddr>)> = (0..128)
        .map(|i| {
            let name = if i % 2 == 0 {
                live[i].0.clone()
            } else {
                format!("{i}.2.0.192.dead.test")
            };
            (name, None)
        })
        .collect();
    (live, ListFeed::new(names))
}

#[tokio::test]
async fn a_silent_zone_does_not_take_a_live_server_down() {
    let h = Hostile::start();
    let (live, mut feed) = live_and_dead(&h);
    let c = client(&[h.addr()], 200, 2);
    c.bulk(&mut feed, 8).await.unwrap();
    for (i, a) in feed.answers().into_iter().enumerate() {
        if i % 2 == 0 {
            assert_eq!(a.outcome, truth(live[i].1), "{}", live[i].0);
        } else {
            assert_eq!(a.outcome, Outcome::Failed(Failure::Timeout), "query {i}");
        }
    }
    assert_eq!(
        c.server_health()[0].down,
        None,
        "the server answered all along"
    );
}

#[tokio::test]
async fn a_feed_can_give_up_a_query_at_its_first_timeout() {
    let h = Hostile::start();
    let (_, mut feed) = live_and_dead(&h);
    feed.give_up = true;
    let c = client(&[h.addr()], 200, 3);
    let run = c.bulk(&mut feed, 64).await.unwrap();
    assert_eq!(
        feed.gave_up, 64,
        "one timeout per dead query, then given up"
    );
    assert_eq!(run.transmissions, 128, "nothing was sent twice");
    assert_eq!(h.received(), 128);
    let answers = feed.answers();
    assert!(
        answers
            .iter()
            .skip(1)
            .step_by(2)
            .all(|a| a.outcome == Outcome::Failed(Failure::Timeout))
    );
}
