//! SPF (RFC 7208): a strict record parser, macro expansion, and
//! `check_host()` with every mechanism, the processing limits, and a trace of
//! every step.
//!
//! ```text
//! record           = version terms *SP
//! version          = "v=spf1"
//! terms            = *( 1*SP ( directive / modifier ) )
//! directive        = [ qualifier ] mechanism
//! qualifier        = "+" / "-" / "?" / "~"
//! mechanism        = ( all / include / a / mx / ptr / ip4 / ip6 / exists )
//! modifier         = redirect / explanation / unknown-modifier
//! ```
//!
//! No permissively licensed Rust crate passes the RFC 7208 test suite, so
//! this one is written here and proved against it (tests/spf/).

mod eval;
mod macros;
mod mechanisms;
mod parse;

use serde::Serialize;

pub use eval::{Request, check_host, evaluate};
pub use macros::{MacroContext, expand};
pub use parse::{
    Directive, Mechanism, Modifier, ParseError, Qualifier, Record, is_spf_record, parse_record,
};

/// RFC 7208 §4.6.4: at most 10 terms that cause DNS queries.
pub const MAX_DNS_LOOKUPS: u32 = 10;
/// RFC 7208 §4.6.4: at most 2 lookups that return no records.
pub const MAX_VOID_LOOKUPS: u32 = 2;
/// RFC 7208 §4.6.4: at most 10 MX names per `mx` mechanism (more is a permerror).
pub const MAX_MX_NAMES: usize = 10;
/// RFC 7208 §4.6.4: at most 10 PTR names per `ptr` lookup (the rest are ignored).
pub const MAX_PTR_NAMES: usize = 10;
/// RFC 7208 §4.6.4: an evaluation may be stopped after at least 20 seconds.
pub const PROCESSING_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

crate::words::words! {
    /// The result of `check_host()` (RFC 7208 §2.6).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum SpfResult {
        /// The client is authorised.
        Pass = "pass",
        /// The client is explicitly not authorised.
        Fail = "fail",
        /// Weak statement that the client is probably not authorised.
        SoftFail = "softfail",
        /// No assertion.
        Neutral = "neutral",
        /// No SPF record, or the domain is not a usable name.
        None = "none",
        /// The domain's records could not be interpreted.
        PermError = "permerror",
        /// A transient DNS error.
        TempError = "temperror",
    }
}

crate::words::words! {
    /// What a trace step records.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum TraceEvent {
        /// A record was fetched.
        Record = "record",
        /// A term was evaluated.
        Term = "term",
        /// An include was entered or left.
        Include = "include",
        /// A redirect was followed.
        Redirect = "redirect",
        /// The explanation was fetched.
        Exp = "exp",
        /// A processing limit was hit.
        Limit = "limit",
        /// An error ended evaluation.
        Error = "error",
        /// The final result.
        Result = "result",
    }
}

/// One step of an evaluation, in order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceStep {
    /// Include/redirect nesting depth (0 for the top record).
    pub depth: u32,
    /// record, term, include, redirect, exp, limit, error or result.
    pub event: TraceEvent,
    /// The domain being evaluated.
    pub domain: String,
    /// The term, record text or message.
    pub text: String,
    /// For terms: whether it matched.
    pub matched: Option<bool>,
    /// Why, in a few words (addresses found, counters, errors).
    pub note: Option<String>,
}

/// Everything an SPF evaluation found (the `spf --format json` object).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpfOutput {
    /// The domain checked.
    pub domain: String,
    /// The client IP.
    pub ip: String,
    /// pass, fail, softfail, neutral, none, permerror or temperror.
    pub result: SpfResult,
    /// The term that decided (null when nothing matched and the default neutral applies).
    pub mechanism: Option<String>,
    /// The `exp=` explanation for a fail, macro-expanded.
    pub explanation: Option<String>,
    /// The SPF record of `domain`, as published.
    pub record: Option<String>,
    /// Terms that caused DNS lookups (limit 10).
    pub dns_lookups: u32,
    /// Lookups that found nothing (limit 2).
    pub void_lookups: u32,
    /// Every step, in order.
    pub trace: Vec<TraceStep>,
    /// Problems a mail administrator should fix, even when the result is pass.
    pub lint: Vec<String>,
}
