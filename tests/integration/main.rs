//! Integration tests: the real binary against a real DNS server on 127.0.0.1.
//! One test binary (autotests = false), modules by subject.

// Tests may print (e.g. why a test was skipped); the library may not.
#![allow(clippy::print_stderr, clippy::print_stdout)]

mod common;

mod bad_input;
mod bounce_props;
mod bounce_sets;
mod bulk_scan;
mod check;
mod cli;
mod explain;
mod explain_corpus;
mod faults;
mod local_data;
mod monitoring;
mod output;
mod rbldnsd;
mod scan;
mod sender;
mod spf_suite;
mod transport;
mod zonedata;
mod zones;
