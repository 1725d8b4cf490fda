#!/usr/bin/env bash
# Local-data scan benchmark: a whole /8 (16,777,216 addresses) against an
# ip4set of ENTRIES single addresses (default one million), answered
# in-process from the rbldnsd data file, with --only-listed, NDJSON to a
# pipe. Anchors from the same run:
#   - equivalence: the same file served by rbldnsd on loopback, a /16 of it
#     scanned over DNS and from local data: the listed sets must be equal;
#   - the wire: dnsperf against that rbldnsd over 65,536 names, and what a
#     /8 would take at that rate.
# Everything stays on 127.0.0.1. Needs rbldnsd and dnsperf
# (apt-get install rbldnsd dnsperf); builds a release binary.
#
# Usage: bench/local-scan.sh           (ENTRIES=N to change the data size)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

RBLDNSD=$(command -v rbldnsd || echo /usr/sbin/rbldnsd)
[ -x "$RBLDNSD" ] || { echo "rbldnsd is not installed (apt-get install rbldnsd)"; exit 2; }
command -v dnsperf >/dev/null || { echo "dnsperf is not installed (apt-get install dnsperf)"; exit 2; }
ENTRIES=${ENTRIES:-1000000}

cargo build --release --quiet
BIN=$PWD/target/release/blocklens

WORK=$(mktemp -d)
chmod 755 "$WORK"
trap 'kill "$(cat "$WORK/pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# ENTRIES distinct single addresses of 10.0.0.0/8 (seeded), like a mirror of
# an exploited-hosts list; the RFC 5782 test point; a TXT with $.
python3 - "$WORK/data.txt" "$ENTRIES" <<'PY'
import random, sys
random.seed(7)
path, n = sys.argv[1], int(sys.argv[2])
picked = set()
while len(picked) < n:
    picked.add(random.getrandbits(24))
with open(path, "w") as f:
    f.write(":127.0.0.2:Listed, see https://bench.example/?ip=$\n127.0.0.2\n")
    for a in sorted(picked):
        f.write(f"10.{a >> 16}.{(a >> 8) & 255}.{a & 255}\n")
PY
chmod 644 "$WORK/data.txt"
cat > "$WORK/catalog.toml" <<'TOML'
[[zone]]
zone = "bl.bench.test"
name = "Benchmark list"
targets = "ip"
[zone.codes]
"127.0.0.2" = "listed"
TOML
echo "== data: $ENTRIES addresses, $(du -h "$WORK/data.txt" | cut -f1)"

echo "== blocklens scan 10.0.0.0/8 from local data (--only-listed, NDJSON to a pipe)"
START=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$WORK/rss8" "$BIN" --lists "$WORK/catalog.toml" scan 10.0.0.0/8 \
  --max-targets 16777216 --zone-data "bl.bench.test:ip4set:$WORK/data.txt" \
  --only-listed --format ndjson -q 2>/dev/null | cat > "$WORK/out8.ndjson" || true
END=$(date +%s.%N)
LOCAL_S=$(python3 -c "print(f'{$END-$START:.2f}')")
LISTED8=$(wc -l < "$WORK/out8.ndjson")
echo "time: $LOCAL_S s, listed: $LISTED8 (expected $ENTRIES), peak RSS: $(tail -1 "$WORK/rss8") KiB"
/usr/bin/time -f "%M" -o "$WORK/rss16" "$BIN" --lists "$WORK/catalog.toml" scan 10.0.0.0/16 \
  --zone-data "bl.bench.test:ip4set:$WORK/data.txt" --only-listed --format ndjson -q \
  > /dev/null 2>&1 || true
echo "peak RSS of a /16 from the same data: $(tail -1 "$WORK/rss16") KiB"

PORT=$(free_port)
"$RBLDNSD" -n -b "127.0.0.1/$PORT" -p "$WORK/pid" "bl.bench.test:ip4set:$WORK/data.txt" >/dev/null 2>&1 &
for _ in $(seq 100); do
  dig +short +time=1 +tries=1 -p "$PORT" @127.0.0.1 2.0.0.127.bl.bench.test A 2>/dev/null | grep -q 127.0.0.2 && break
  sleep 0.1
done

echo "== equivalence: 10.7.0.0/16 over DNS (rbldnsd) and from local data"
"$BIN" --lists "$WORK/catalog.toml" --resolver "127.0.0.1:$PORT" scan 10.7.0.0/16 --no-txt \
  --only-listed --format ndjson -q 2>/dev/null | grep -o '"target":"[^"]*"' > "$WORK/dns.txt" || true
"$BIN" --lists "$WORK/catalog.toml" scan 10.7.0.0/16 --no-txt --zone-data "bl.bench.test:ip4set:$WORK/data.txt" \
  --only-listed --format ndjson -q 2>/dev/null | grep -o '"target":"[^"]*"' > "$WORK/local.txt" || true
if cmp -s "$WORK/dns.txt" "$WORK/local.txt"; then
  echo "equal: $(wc -l < "$WORK/local.txt") listed addresses both ways"
else
  echo "DIFFERENT: $(wc -l < "$WORK/dns.txt") over DNS, $(wc -l < "$WORK/local.txt") from local data"
fi

echo "== the wire: dnsperf against rbldnsd serving the same file, 65,536 names"
for b in $(seq 0 255); do for c in $(seq 0 255); do echo "$c.$b.7.10.bl.bench.test A"; done; done > "$WORK/names.txt"
dnsperf -s 127.0.0.1 -p "$PORT" -d "$WORK/names.txt" -c 1 -T 1 -q 100 -n 1 > "$WORK/dnsperf.txt" 2>&1 || true
QPS=$(awk '/Queries per second/ {print $4}' "$WORK/dnsperf.txt")
echo "dnsperf: $QPS queries/s"
python3 - "$QPS" "$LOCAL_S" <<'PY'
import sys
qps, local = float(sys.argv[1]), float(sys.argv[2])
wire = 16777216 / qps
print(f"a /8 at dnsperf's rate: {wire:.0f} s; from local data: {local} s ({wire / local:.0f}x faster than the wire allows)")
PY
