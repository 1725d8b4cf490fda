#!/usr/bin/env bash
# Scan benchmark: what the wire and rbldnsd allow on this machine (dnsperf)
# versus `blocklens scan` over the same /16, and peak memory of a /24 and a
# /16 scan. Everything stays on 127.0.0.1. Needs rbldnsd and dnsperf
# (apt-get install rbldnsd dnsperf) and a release build (built here).
#
# Usage: bench/scan.sh            (prints the figures; takes about a minute)
set -euo pipefail
cd "$(dirname "$0")/.."

command -v dnsperf >/dev/null || { echo "dnsperf is not installed (apt-get install dnsperf)"; exit 2; }
RBLDNSD=$(command -v rbldnsd || echo /usr/sbin/rbldnsd)
[ -x "$RBLDNSD" ] || { echo "rbldnsd is not installed (apt-get install rbldnsd)"; exit 2; }

cargo build --release --quiet
BIN=target/release/blocklens

WORK=$(mktemp -d)
chmod 755 "$WORK"
trap 'kill "$(cat "$WORK/pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# 198.18.0.0/15 is the benchmarking range (RFC 2544); these are only labels in
# query names, answered by rbldnsd on loopback. One address in sixteen is listed.
{
  echo '$SOA 60 ns.bench.test hostmaster.bench.test 0 600 300 86400 60'
  echo '$NS 60 ns.bench.test'
  echo ':127.0.0.2:listed'
  echo '127.0.0.2'
  for a in $(seq 0 255); do for b in $(seq 0 16 255); do echo "198.18.$a.$b"; done; done
} > "$WORK/data.txt"
chmod 644 "$WORK/data.txt"
cat > "$WORK/catalog.toml" <<'TOML'
[[zone]]
zone = "bl.bench.test"
name = "Benchmark list"
targets = "ip"
lookup_url = "https://bench.example/{target}"
notes = "rbldnsd on loopback"
[zone.codes]
"127.0.0.2" = "listed"
TOML

PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$RBLDNSD" -n -b "127.0.0.1/$PORT" -p "$WORK/pid" "bl.bench.test:ip4set:$WORK/data.txt" >/dev/null 2>&1 &
for _ in $(seq 50); do [ -s "$WORK/pid" ] && break; sleep 0.1; done
sleep 0.5

# The same 65,536 query names for dnsperf.
for a in $(seq 0 255); do for b in $(seq 0 255); do echo "$b.$a.18.198.bl.bench.test A"; done; done > "$WORK/names.txt"

echo "== dnsperf: 65,536 queries, -c 1 -T 1 -q 100"
dnsperf -s 127.0.0.1 -p "$PORT" -d "$WORK/names.txt" -c 1 -T 1 -q 100 -n 1 > "$WORK/dnsperf.txt" 2>&1 || true
grep -E "Queries sent|Queries completed|Queries lost|Queries per second" "$WORK/dnsperf.txt"
DNSPERF_QPS=$(awk '/Queries per second/ {print $4}' "$WORK/dnsperf.txt")

echo "== blocklens scan 198.18.0.0/16 (default settings, --no-txt)"
/usr/bin/time -f "%M" -o "$WORK/rss16" "$BIN" scan 198.18.0.0/16 --resolver "127.0.0.1:$PORT" \
  --lists "$WORK/catalog.toml" --no-txt --format ndjson > "$WORK/out16.ndjson" 2> "$WORK/summary16.txt" || true  # exit 1: listed
cat "$WORK/summary16.txt" | head -2
BL_QPS=$(sed -n 's/.*(\([0-9]*\) queries\/s).*/\1/p' "$WORK/summary16.txt")
LISTED=$(grep -c '"verdict":"listed"' "$WORK/out16.ndjson" || true)
CLEAN=$(grep -c '"verdict":"clean"' "$WORK/out16.ndjson" || true)
OTHER=$(grep -vc '"verdict":"\(listed\|clean\)"' "$WORK/out16.ndjson" || true)
echo "targets: $LISTED listed (expected 4096), $CLEAN clean (expected 61440), $OTHER without a usable answer (lost: expected 0)"

/usr/bin/time -f "%M" -o "$WORK/rss24" "$BIN" scan 198.18.7.0/24 --resolver "127.0.0.1:$PORT" \
  --lists "$WORK/catalog.toml" --no-txt --format ndjson -q > /dev/null || true

echo "== results"
echo "dnsperf:   $DNSPERF_QPS queries/s"
echo "blocklens: $BL_QPS queries/s"
python3 -c "print(f'ratio:     {float($BL_QPS)/float($DNSPERF_QPS):.2f} of dnsperf')"
echo "peak RSS:  /24 scan $(tail -1 "$WORK/rss24") KiB, /16 scan $(tail -1 "$WORK/rss16") KiB"
