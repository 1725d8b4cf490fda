//! Tests of reading whole bounces.
