#!/usr/bin/env bash
# serve benchmark: 1,000 targets x 20 zones (2% listed, 1% failed lookups),
# /metrics scraped 50 times a second for a minute, next to node_exporter's
# textfile collector serving the same exposition and scraped the same way at
# the same time (the anchor: what `--format prometheus` into a textfile
# directory costs). Rounds repeat every 5 s so the cache is replaced while
# scrapes run. Prints scrape latency (median, p90, p99, max), the ratio of
# the medians, the cost of rendering and recording one round, and resident
# memory every 5 s. Everything stays on 127.0.0.1.
#
# Needs prometheus-node-exporter for the anchor (apt-get install
# prometheus-node-exporter); without it only blocklens is measured.
#
# Usage: bench/serve.sh [--seconds N] [--rate N] [--interval N]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --quiet --bench serve -- "$@"
