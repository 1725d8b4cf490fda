//! A domain's mail infrastructure (work in progress).
