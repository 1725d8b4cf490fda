//! History in SQLite (`--state PATH`): per target and zone, when a listing
//! was first and last seen and when it ended, and a timeline of events.
//!
//! Guarantees:
//! - a round is recorded in one transaction, so a crash mid-write leaves the
//!   previous round intact (SQLite's write-ahead log discards the partial one);
//! - two runs at once wait for each other (WAL, `BEGIN IMMEDIATE` and a busy
//!   timeout) instead of failing;
//! - the schema is versioned with `PRAGMA user_version` and migrated forward
//!   on open; a file written by a newer version is refused;
//! - a file that is not a blocklens state database (not SQLite, corrupt, or
//!   another program's database) is an error naming the file, and is never
//!   modified or replaced.
//!
//! An `unusable` or `error` result is not a delisting: the listing state is
//! left as it was and the result is recorded as a failed observation (a
//! `check_failed` event when a run of failures begins, `check_recovered` when
//! the zone answers again).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rusqlite::{
    Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior, params,
};
use serde::Serialize;

use super::{from_unix_seconds, unix_seconds};
use crate::catalog::Role;
use crate::report::{Report, Status, ZoneResult};

/// How long a run waits for another run's write to finish.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Marks the file as ours (`PRAGMA application_id`, "blkl").
const APPLICATION_ID: i64 = 0x626c_6b6c;

/// Forward migrations: `MIGRATIONS[i]` takes the schema from version `i` to
/// `i + 1`. Never edit a released step; add a new one.
const MIGRATIONS: &[&str] = &[
    // 1: listing state and the event timeline.
    "CREATE TABLE listing (
        target TEXT NOT NULL,
        zone TEXT NOT NULL,
        role TEXT NOT NULL,
        listed INTEGER,
        first_listed INTEGER,
        last_listed INTEGER,
        delisted_at INTEGER,
        last_checked INTEGER,
        answers TEXT NOT NULL DEFAULT '[]',
        meanings TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (target, zone)
    ) WITHOUT ROWID;
    CREATE TABLE event (
        id INTEGER PRIMARY KEY,
        target TEXT NOT NULL,
        zone TEXT NOT NULL,
        kind TEXT NOT NULL,
        at INTEGER NOT NULL,
        answers TEXT NOT NULL DEFAULT '[]',
        meanings TEXT NOT NULL DEFAULT '[]',
        detail TEXT
    );
    CREATE INDEX event_by_target ON event (target, at, id);",
    // 2: failed observations, and one row per round.
    "ALTER TABLE listing ADD COLUMN last_status TEXT;
    ALTER TABLE listing ADD COLUMN last_seen INTEGER;
    ALTER TABLE listing ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE listing ADD COLUMN last_failure TEXT;
    UPDATE listing SET
        last_status = CASE listed WHEN 1 THEN 'listed' ELSE 'not_listed' END,
        last_seen = last_checked;
    CREATE TABLE round (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        targets INTEGER NOT NULL,
        listed INTEGER NOT NULL,
        failed INTEGER NOT NULL
    );",
];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Why the state database cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Not an SQLite database, or a damaged one. The file is left untouched.
    #[error("{}: not a usable blocklens state database: {reason} (the file was left untouched; move it away to start a new history)", .path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        reason: String,
    },
    /// Another program's SQLite database.
    #[error("{}: this SQLite database belongs to another program (the file was left untouched)", .path.display())]
    Foreign {
        /// The file.
        path: PathBuf,
    },
    /// Written by a newer blocklens.
    #[error("{}: written by a newer blocklens (schema version {found}, this one knows up to {known})", .path.display())]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// Another run held the database longer than [`BUSY_TIMEOUT`].
    #[error("{}: still locked by another run after {} s", .path.display(), BUSY_TIMEOUT.as_secs())]
    Locked {
        /// The file.
        path: PathBuf,
    },
    /// Any other SQLite failure (cannot create the file, disk full, ...).
    #[error("{}: {source}", .path.display())]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
}

pub use crate::report::ChangeKind;

/// A target that became listed or delisted on a zone in a round.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// The target.
    pub target: String,
    /// The zone.
    pub zone: String,
    /// The zone's role (allow and info lists change too; only block lists
    /// are bad news).
    pub role: Role,
    /// listed or delisted.
    pub kind: ChangeKind,
    /// When the round that saw it began.
    #[serde(serialize_with = "ser_time")]
    pub at: SystemTime,
    /// The listing's answers (for a delisting: those of the listing that ended).
    pub answers: Vec<String>,
    /// What they mean.
    pub meanings: Vec<String>,
    /// For a delisting: when the listing that ended was first seen.
    #[serde(serialize_with = "ser_opt_time")]
    pub listed_since: Option<SystemTime>,
}

crate::words::words! {
    /// One entry of a target's timeline.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum EventKind {
        /// The zone began listing the target.
        Listed = "listed",
        /// The zone stopped listing the target.
        Delisted = "delisted",
        /// The zone gave no usable answer (the first of a run of failures).
        CheckFailed = "check_failed",
        /// The zone answered again after failures, and nothing had changed.
        CheckRecovered = "check_recovered",
    }
}

/// An entry of [`Store::history`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// When.
    #[serde(serialize_with = "ser_time")]
    pub at: SystemTime,
    /// The zone.
    pub zone: String,
    /// What happened.
    pub kind: EventKind,
    /// Listing answers (listed, delisted).
    pub answers: Vec<String>,
    /// What they mean.
    pub meanings: Vec<String>,
    /// Why a check failed.
    pub detail: Option<String>,
}

/// A current listing (`Store::listings`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Listing {
    /// The target.
    pub target: String,
    /// The zone.
    pub zone: String,
    /// The zone's role.
    pub role: Role,
    /// When this listing was first seen.
    #[serde(serialize_with = "ser_time")]
    pub since: SystemTime,
    /// When it was last seen.
    #[serde(serialize_with = "ser_time")]
    pub last_seen: SystemTime,
    /// Its answers.
    pub answers: Vec<String>,
    /// What they mean.
    pub meanings: Vec<String>,
}

fn ser_time<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&super::rfc3339(*t))
}

fn ser_opt_time<S: serde::Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => ser_time(t, s),
        None => s.serialize_none(),
    }
}

/// The state database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// The stored state of one target x zone.
struct Row {
    exists: bool,
    listed: Option<bool>,
    first_listed: Option<i64>,
    answers: String,
    meanings: String,
    failures: i64,
}

impl Store {
    /// Opens (or creates) the database at `path`, migrating an older schema.
    pub fn open(path: &Path) -> Result<Store, StateError> {
        let conn = Connection::open(path).map_err(|e| classify(path, e))?;
        Store::setup(conn, path)
    }

    /// A database in memory (`serve` without `--state`): the same change
    /// detection, forgotten on exit.
    pub fn in_memory() -> Result<Store, StateError> {
        let path = Path::new(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| classify(path, e))?;
        Store::setup(conn, path)
    }

    fn setup(mut conn: Connection, path: &Path) -> Result<Store, StateError> {
        let err = |e| classify(path, e);
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        // Reading the header first: a file that is not SQLite fails here,
        // before anything is written to it.
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(err)?;
        if check != "ok" {
            return Err(StateError::Corrupt {
                path: path.to_path_buf(),
                reason: check,
            });
        }
        migrate(&mut conn, path)?;
        // WAL lets readers (history) run while a round is written. It is a
        // property of the file, set once; an in-memory database has none.
        let _mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The file (":memory:" for an in-memory store).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records a round seen at `at` in one transaction and returns what
    /// changed: targets that became listed or delisted, in report order.
    pub fn record_round(
        &mut self,
        at: SystemTime,
        reports: &[Report],
    ) -> Result<Vec<Change>, StateError> {
        let path = self.path.clone();
        let err = |e| classify(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let secs = unix_seconds(at);
        let mut changes = Vec::new();
        let (mut listed, mut failed) = (0i64, 0i64);
        for report in reports {
            if report.verdict == crate::report::Verdict::Listed {
                listed += 1;
            }
            for result in &report.results {
                if matches!(result.status, Status::Unusable | Status::Error) {
                    failed += 1;
                }
                if let Some(c) = observe(&tx, &report.target, result, secs).map_err(err)? {
                    changes.push(c);
                }
            }
        }
        tx.execute(
            "INSERT INTO round (at, targets, listed, failed) VALUES (?1, ?2, ?3, ?4)",
            params![secs, reports.len() as i64, listed, failed],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(changes)
    }

    /// When the current listing of `target` on `zone` was first seen; None
    /// when the zone's last conclusive answer was "not listed" (or it never
    /// answered).
    pub fn listed_since(&self, target: &str, zone: &str) -> Result<Option<SystemTime>, StateError> {
        let since: Option<Option<i64>> = self
            .conn
            .query_row(
                "SELECT first_listed FROM listing WHERE target = ?1 AND zone = ?2 AND listed = 1",
                params![target, zone],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| classify(&self.path, e))?;
        Ok(since.flatten().map(from_unix_seconds))
    }

    /// Every current listing (any role), ordered by target and zone.
    pub fn listings(&self) -> Result<Vec<Listing>, StateError> {
        let err = |e| classify(&self.path, e);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT target, zone, role, first_listed, last_listed, answers, meanings
                 FROM listing WHERE listed = 1 ORDER BY target, zone",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Listing {
                    target: r.get(0)?,
                    zone: r.get(1)?,
                    role: role_from(&r.get::<_, String>(2)?),
                    since: from_unix_seconds(r.get::<_, Option<i64>>(3)?.unwrap_or(0)),
                    last_seen: from_unix_seconds(r.get::<_, Option<i64>>(4)?.unwrap_or(0)),
                    answers: list_from(&r.get::<_, String>(5)?),
                    meanings: list_from(&r.get::<_, String>(6)?),
                })
            })
            .map_err(err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }

    /// The timeline of `target`, oldest first.
    pub fn history(&self, target: &str) -> Result<Vec<Event>, StateError> {
        let err = |e| classify(&self.path, e);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT at, zone, kind, answers, meanings, detail FROM event
                 WHERE target = ?1 ORDER BY at, id",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([target], |r| {
                let kind: String = r.get(2)?;
                Ok(Event {
                    at: from_unix_seconds(r.get(0)?),
                    zone: r.get(1)?,
                    kind: EventKind::from_word(&kind).unwrap_or(EventKind::CheckFailed),
                    answers: list_from(&r.get::<_, String>(3)?),
                    meanings: list_from(&r.get::<_, String>(4)?),
                    detail: r.get(5)?,
                })
            })
            .map_err(err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }

    /// The number of rounds recorded.
    pub fn rounds(&self) -> Result<u64, StateError> {
        self.conn
            .query_row("SELECT count(*) FROM round", [], |r| r.get::<_, i64>(0))
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(|e| classify(&self.path, e))
    }
}

/// Brings the schema to [`SCHEMA_VERSION`], in one transaction taken before
/// the version is read, so two runs opening a new file at once migrate it once.
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StateError> {
    let err = |e| classify(path, e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    let app: i64 = tx
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(err)?;
    let objects: i64 = tx
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(err)?;
    let ours = app == APPLICATION_ID || (app == 0 && version == 0 && objects == 0);
    if !ours {
        return Err(StateError::Foreign {
            path: path.to_path_buf(),
        });
    }
    if version > SCHEMA_VERSION {
        return Err(StateError::TooNew {
            path: path.to_path_buf(),
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    apply_migrations(&tx, version, SCHEMA_VERSION).map_err(err)?;
    tx.commit().map_err(err)
}

fn apply_migrations(tx: &Transaction<'_>, from: i64, to: i64) -> rusqlite::Result<()> {
    for step in MIGRATIONS
        .iter()
        .take(usize::try_from(to).unwrap_or(0))
        .skip(usize::try_from(from).unwrap_or(0))
    {
        tx.execute_batch(step)?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", to)
}

/// Records one zone result; returns the change it makes, if any.
fn observe(
    tx: &Transaction<'_>,
    target: &str,
    result: &ZoneResult,
    at: i64,
) -> rusqlite::Result<Option<Change>> {
    let row = load(tx, target, &result.zone)?;
    if !row.exists {
        tx.prepare_cached(
            "INSERT INTO listing (target, zone, role, last_status) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            target,
            result.zone,
            result.role.as_str(),
            result.status.as_str()
        ])?;
    }
    match result.status {
        Status::Unusable | Status::Error => {
            failed(tx, target, result, at, &row)?;
            Ok(None)
        }
        Status::Listed | Status::NotListed => conclusive(tx, target, result, at, &row),
    }
}

fn load(tx: &Transaction<'_>, target: &str, zone: &str) -> rusqlite::Result<Row> {
    tx.prepare_cached(
        "SELECT listed, first_listed, answers, meanings, failures
         FROM listing WHERE target = ?1 AND zone = ?2",
    )?
    .query_row(params![target, zone], |r| {
        Ok(Row {
            exists: true,
            listed: r.get::<_, Option<i64>>(0)?.map(|v| v == 1),
            first_listed: r.get(1)?,
            answers: r.get(2)?,
            meanings: r.get(3)?,
            failures: r.get(4)?,
        })
    })
    .optional()
    .map(|row| {
        row.unwrap_or(Row {
            exists: false,
            listed: None,
            first_listed: None,
            answers: "[]".into(),
            meanings: "[]".into(),
            failures: 0,
        })
    })
}

/// A failed observation: the listing state is left as it was.
fn failed(
    tx: &Transaction<'_>,
    target: &str,
    result: &ZoneResult,
    at: i64,
    row: &Row,
) -> rusqlite::Result<()> {
    let detail = result
        .detail
        .clone()
        .unwrap_or_else(|| result.status.as_str().to_string());
    if row.failures == 0 {
        insert_event(
            tx,
            target,
            result,
            EventKind::CheckFailed,
            at,
            Some(&detail),
        )?;
    }
    tx.prepare_cached(
        "UPDATE listing SET last_status = ?3, last_seen = ?4, failures = failures + 1,
         last_failure = ?5 WHERE target = ?1 AND zone = ?2",
    )?
    .execute(params![
        target,
        result.zone,
        result.status.as_str(),
        at,
        detail
    ])?;
    Ok(())
}

/// A listed or not-listed answer: starts, continues or ends a listing.
fn conclusive(
    tx: &Transaction<'_>,
    target: &str,
    result: &ZoneResult,
    at: i64,
    row: &Row,
) -> rusqlite::Result<Option<Change>> {
    let now = result.status == Status::Listed;
    let was = row.listed == Some(true);
    let kind = match (was, now) {
        (false, true) => Some(ChangeKind::Listed),
        (true, false) => Some(ChangeKind::Delisted),
        _ => None,
    };
    let (answers, meanings) = if now {
        (list_to(&result.answers), list_to(&result.meanings))
    } else {
        (row.answers.clone(), row.meanings.clone())
    };
    let first_listed = match kind {
        Some(ChangeKind::Listed) => Some(at),
        _ => row.first_listed,
    };
    tx.prepare_cached(
        "UPDATE listing SET role = ?3, listed = ?4, first_listed = ?5,
            last_listed = CASE WHEN ?4 = 1 THEN ?6 ELSE last_listed END,
            delisted_at = CASE WHEN ?4 = 1 THEN NULL WHEN ?7 THEN ?6 ELSE delisted_at END,
            last_checked = ?6, answers = ?8, meanings = ?9,
            last_status = ?10, last_seen = ?6, failures = 0
         WHERE target = ?1 AND zone = ?2",
    )?
    .execute(params![
        target,
        result.zone,
        result.role.as_str(),
        i64::from(now),
        first_listed,
        at,
        kind == Some(ChangeKind::Delisted),
        answers,
        meanings,
        result.status.as_str(),
    ])?;
    let event = match kind {
        Some(ChangeKind::Listed) => Some(EventKind::Listed),
        Some(ChangeKind::Delisted) => Some(EventKind::Delisted),
        None if row.failures > 0 => Some(EventKind::CheckRecovered),
        None => None,
    };
    if let Some(e) = event {
        insert_event(tx, target, result, e, at, None)?;
    }
    Ok(kind.map(|kind| Change {
        target: target.to_string(),
        zone: result.zone.clone(),
        role: result.role,
        kind,
        at: from_unix_seconds(at),
        answers: list_from(&answers),
        meanings: list_from(&meanings),
        listed_since: (kind == ChangeKind::Delisted)
            .then_some(row.first_listed)
            .flatten()
            .map(from_unix_seconds),
    }))
}

fn insert_event(
    tx: &Transaction<'_>,
    target: &str,
    result: &ZoneResult,
    kind: EventKind,
    at: i64,
    detail: Option<&str>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO event (target, zone, kind, at, answers, meanings, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        target,
        result.zone,
        kind.as_str(),
        at,
        list_to(&result.answers),
        list_to(&result.meanings),
        detail
    ])?;
    Ok(())
}

fn list_to(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

fn list_from(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn role_from(word: &str) -> Role {
    Role::from_word(word).unwrap_or(Role::Block)
}

/// Names the kind of failure: a damaged or foreign file, a lock held too
/// long, or anything else.
fn classify(path: &Path, e: rusqlite::Error) -> StateError {
    let path = path.to_path_buf();
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StateError::Corrupt {
            path,
            reason: e.to_string(),
        },
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StateError::Locked { path },
        _ => StateError::Sqlite { path, source: e },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Report;
    use crate::target::TargetKind;

    fn t(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
    }

    fn result(zone: &str, status: Status) -> ZoneResult {
        crate::monitor::testkit::result(zone, Role::Block, status)
    }

    fn round(statuses: &[(&str, Status)]) -> Vec<Report> {
        vec![crate::monitor::testkit::report("192.0.2.10", statuses)]
    }

    fn kinds(changes: &[Change]) -> Vec<(String, ChangeKind)> {
        changes.iter().map(|c| (c.zone.clone(), c.kind)).collect()
    }

    #[test]
    fn listing_lifecycle_and_failures_are_not_delistings() {
        use Status::*;
        let mut s = Store::in_memory().unwrap();
        let c = s
            .record_round(t(0), &round(&[("a.test", NotListed)]))
            .unwrap();
        assert!(c.is_empty(), "{c:?}");
        let c = s
            .record_round(t(60), &round(&[("a.test", Listed)]))
            .unwrap();
        assert_eq!(kinds(&c), [("a.test".to_string(), ChangeKind::Listed)]);
        assert_eq!(c[0].answers, ["127.0.0.2"]);
        assert_eq!(s.listed_since("192.0.2.10", "a.test").unwrap(), Some(t(60)));
        // Still listed: no change, same start.
        assert!(
            s.record_round(t(120), &round(&[("a.test", Listed)]))
                .unwrap()
                .is_empty()
        );
        // The list stops answering: not a delisting, the listing stands.
        for at in [180, 240] {
            let c = s.record_round(t(at), &round(&[("a.test", Error)])).unwrap();
            assert!(c.is_empty(), "{c:?}");
        }
        assert_eq!(s.listed_since("192.0.2.10", "a.test").unwrap(), Some(t(60)));
        // Unusable (e.g. its test point vanished) is not one either.
        assert!(
            s.record_round(t(270), &round(&[("a.test", Unusable)]))
                .unwrap()
                .is_empty()
        );
        // A conclusive NXDOMAIN ends it.
        let c = s
            .record_round(t(300), &round(&[("a.test", NotListed)]))
            .unwrap();
        assert_eq!(kinds(&c), [("a.test".to_string(), ChangeKind::Delisted)]);
        assert_eq!(c[0].listed_since, Some(t(60)));
        assert_eq!(c[0].answers, ["127.0.0.2"]);
        assert_eq!(s.listed_since("192.0.2.10", "a.test").unwrap(), None);
        let h: Vec<_> = s
            .history("192.0.2.10")
            .unwrap()
            .into_iter()
            .map(|e| (unix_seconds(e.at) - unix_seconds(t(0)), e.kind))
            .collect();
        assert_eq!(
            h,
            [
                (60, EventKind::Listed),
                (180, EventKind::CheckFailed),
                (300, EventKind::Delisted)
            ]
        );
        assert_eq!(s.rounds().unwrap(), 7);
    }

    #[test]
    fn failure_then_same_answer_is_a_recovery_not_a_change() {
        use Status::*;
        let mut s = Store::in_memory().unwrap();
        s.record_round(t(0), &round(&[("a.test", NotListed)]))
            .unwrap();
        s.record_round(t(60), &round(&[("a.test", Error)])).unwrap();
        let c = s
            .record_round(t(120), &round(&[("a.test", NotListed)]))
            .unwrap();
        assert!(c.is_empty());
        let h: Vec<_> = s
            .history("192.0.2.10")
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(h, [EventKind::CheckFailed, EventKind::CheckRecovered]);
        let failed = &s.history("192.0.2.10").unwrap()[0];
        assert_eq!(failed.detail.as_deref(), Some("no usable answer: timeout"));
    }

    #[test]
    fn first_sight_of_a_listing_is_a_change_and_relisting_starts_anew() {
        use Status::*;
        let mut s = Store::in_memory().unwrap();
        // Never answered before, then listed: new.
        s.record_round(t(0), &round(&[("a.test", Error)])).unwrap();
        let c = s.record_round(t(60), &round(&[("a.test", Listed), ("b.test", NotListed)]));
        assert_eq!(
            kinds(&c.unwrap()),
            [("a.test".to_string(), ChangeKind::Listed)]
        );
        s.record_round(t(120), &round(&[("a.test", NotListed)]))
            .unwrap();
        let c = s
            .record_round(t(180), &round(&[("a.test", Listed)]))
            .unwrap();
        assert_eq!(kinds(&c), [("a.test".to_string(), ChangeKind::Listed)]);
        assert_eq!(
            s.listed_since("192.0.2.10", "a.test").unwrap(),
            Some(t(180))
        );
        let l = s.listings().unwrap();
        assert_eq!(l.len(), 1);
        assert_eq!((l[0].zone.as_str(), l[0].since), ("a.test", t(180)));
    }

    /// The first released layout, as a version-1 file holds it.
    fn version_1_file(path: &Path) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(
            "INSERT INTO listing (target, zone, role, listed, first_listed, last_listed, last_checked, answers, meanings)
             VALUES ('192.0.2.10', 'a.test', 'block', 1, 1800000060, 1800000120, 1800000120, '[\"127.0.0.2\"]', '[\"spam\"]');
             INSERT INTO event (target, zone, kind, at) VALUES ('192.0.2.10', 'a.test', 'listed', 1800000060);
             PRAGMA application_id = 1651272556;
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }

    #[test]
    fn an_older_schema_is_migrated_keeping_its_history() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        version_1_file(&path);
        let mut s = Store::open(&path).unwrap();
        assert_eq!(s.listed_since("192.0.2.10", "a.test").unwrap(), Some(t(60)));
        // The new columns work: a failure is recorded and is not a delisting.
        let c = s
            .record_round(t(180), &round(&[("a.test", Status::Error)]))
            .unwrap();
        assert!(c.is_empty());
        let c = s
            .record_round(t(240), &round(&[("a.test", Status::NotListed)]))
            .unwrap();
        assert_eq!(c[0].listed_since, Some(t(60)));
        let version: i64 = s
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        assert_eq!(s.history("192.0.2.10").unwrap().len(), 3);
    }

    #[test]
    fn bad_files_are_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.db");
        let bytes = b"this is not a database, it is a note to self\n".repeat(200);
        std::fs::write(&junk, &bytes).unwrap();
        let e = Store::open(&junk).unwrap_err();
        assert!(matches!(e, StateError::Corrupt { .. }), "{e:?}");
        assert!(
            e.to_string().starts_with(&format!("{}: ", junk.display())),
            "{e}"
        );
        assert_eq!(std::fs::read(&junk).unwrap(), bytes);

        let foreign = dir.path().join("foreign.db");
        Connection::open(&foreign)
            .unwrap()
            .execute_batch("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('keep me');")
            .unwrap();
        let before = std::fs::read(&foreign).unwrap();
        let e = Store::open(&foreign).unwrap_err();
        assert!(matches!(e, StateError::Foreign { .. }), "{e:?}");
        assert_eq!(std::fs::read(&foreign).unwrap(), before);

        let newer = dir.path().join("newer.db");
        Store::open(&newer).unwrap();
        Connection::open(&newer)
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let e = Store::open(&newer).unwrap_err();
        assert!(matches!(e, StateError::TooNew { found, .. } if found == SCHEMA_VERSION + 1));
    }

    #[test]
    fn a_damaged_page_is_reported_as_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        {
            let mut s = Store::open(&path).unwrap();
            let many: Vec<_> = (0..400)
                .map(|i| {
                    let results = vec![result("a.test", Status::Listed)];
                    Report::new(format!("198.51.100.{}", i % 250), TargetKind::Ip, results)
                })
                .collect();
            s.record_round(t(0), &many).unwrap();
            s.conn
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
                .unwrap();
        }
        // Overwrite the middle of the file (past the header) with garbage.
        let mut bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() > 8192, "{}", bytes.len());
        for b in &mut bytes[4096..8192] {
            *b = 0xa5;
        }
        std::fs::write(&path, &bytes).unwrap();
        let e = Store::open(&path).unwrap_err();
        assert!(matches!(e, StateError::Corrupt { .. }), "{e:?}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }
}
