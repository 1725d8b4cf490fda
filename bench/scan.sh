#!/usr/bin/env bash
# Scan benchmark: what the wire and rbldnsd allow on this machine (dnsperf)
# versus `blocklens scan` over the same /16, in the same run. Several
# interleaved rounds (the machine is shared and noisy), medians reported:
# each round runs, for the default --concurrency (64), 256 and 1024, dnsperf
# over the 65,536 names of 198.18.0.0/16 and right after it
# `blocklens scan 198.18.0.0/16 --no-txt --format ndjson` (to a file), so
# each scan has its anchor next to it. Every report is checked against the data
# (198.18.a.b is listed when b % 16 == 0, else clean): a target missing, out
# of order or with another verdict counts as lost. Then peak RSS of a /24
# and a /16 scan at the default concurrency. Everything stays on 127.0.0.1.
# Needs rbldnsd and dnsperf (apt-get install rbldnsd dnsperf) and a release
# build (built here).
#
# Usage: bench/scan.sh [--perf]     (ROUNDS=N: rounds, default 3; BIN=FILE: measure that
#                                    binary; --perf: also perf record a default /16 scan)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

command -v dnsperf >/dev/null || { echo "dnsperf is not installed (apt-get install dnsperf)"; exit 2; }
RBLDNSD=$(command -v rbldnsd || echo /usr/sbin/rbldnsd)
[ -x "$RBLDNSD" ] || { echo "rbldnsd is not installed (apt-get install rbldnsd)"; exit 2; }
ROUNDS=${ROUNDS:-3}

# BIN=path/to/blocklens measures that binary instead (e.g. an older build).
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/blocklens
fi

WORK=$(mktemp -d)
chmod 755 "$WORK"
trap 'kill "$(cat "$WORK/pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# 198.18.0.0/15 is the benchmarking range (RFC 2544); these are only labels in
# query names, answered by rbldnsd on loopback. One address in sixteen is listed.
bench_data "$WORK/data.txt"
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

PORT=$(free_port)
"$RBLDNSD" -n -b "127.0.0.1/$PORT" -p "$WORK/pid" "bl.bench.test:ip4set:$WORK/data.txt" >/dev/null 2>&1 &
for _ in $(seq 50); do [ -s "$WORK/pid" ] && break; sleep 0.1; done
sleep 0.5

# The same 65,536 query names for dnsperf.
for a in $(seq 0 255); do for b in $(seq 0 255); do echo "$b.$a.18.198.bl.bench.test A"; done; done > "$WORK/names.txt"

dnsperf_qps() {
  dnsperf -s 127.0.0.1 -p "$PORT" -d "$WORK/names.txt" -c 1 -T 1 -q 100 -n 1 > "$WORK/dnsperf.txt" 2>&1 || true
  awk '/Queries per second/ {printf "%d", $4}' "$WORK/dnsperf.txt"
}

# Targets of 198.18.0.0/16 without their right verdict in the NDJSON file $1
# (missing, duplicated, out of order, wrong or incomplete).
lost() { python3 - "$1" <<'PY'
import json, sys
right = 0
expected = ((a, b) for a in range(256) for b in range(256))
for line, (a, b) in zip(open(sys.argv[1]), expected):
    r = json.loads(line)
    want = "listed" if b % 16 == 0 else "clean"
    right += r["target"] == f"198.18.{a}.{b}" and r["verdict"] == want
print(65536 - right)
PY
}

# One scan of the /16 at concurrency $1; prints "elapsed q/s lost rss_kib cpu_s".
scan16() {
  /usr/bin/time -f "%M %U %S" -o "$WORK/rss" "$BIN" scan 198.18.0.0/16 --resolver "127.0.0.1:$PORT" \
    --lists "$WORK/catalog.toml" --no-txt --format ndjson --concurrency "$1" \
    > "$WORK/out.ndjson" 2> "$WORK/summary.txt" || true  # exit 1: listed
  local line
  line=$(grep '^Scanned' "$WORK/summary.txt")
  echo "$(sed -n 's/.* in \([0-9.]*\) s .*/\1/p' <<< "$line")" \
    "$(sed -n 's/.*(\([0-9]*\) queries\/s).*/\1/p' <<< "$line")" \
    "$(lost "$WORK/out.ndjson")" \
    "$(tail -1 "$WORK/rss" | awk '{printf "%d %.2f", $1, $2 + $3}')"
}

med() { python3 -c "import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }

echo "== $ROUNDS rounds, each: for --concurrency 64 (default), 256 and 1024, dnsperf -c 1 -T 1 -q 100"
echo "   over the 65,536 names, then blocklens scan 198.18.0.0/16 --no-txt --format ndjson (to a file)"
echo "   right after it; ratio = the scan's q/s over the dnsperf run just before it"
declare -A E Q L M C R
DQ=()
for round in $(seq "$ROUNDS"); do
  for c in 64 256 1024; do
    d=$(dnsperf_qps); DQ+=("$d")
    read -r e q l m cpu <<< "$(scan16 "$c")"
    E[$c]+=" $e"; Q[$c]+=" $q"; L[$c]+=" $l"; M[$c]+=" $m"; C[$c]+=" $cpu"
    R[$c]+=" $(python3 -c "print(f'{$q/$d:.2f}')")"
  done
done
echo "dnsperf runs: ${DQ[*]} q/s (median $(med "${DQ[@]}"))"
echo
printf '%-12s %10s %12s %9s %9s %10s %10s\n' concurrency "q/s" "ratio(med)" elapsed "CPU s" "lost(max)" "peak RSS"
BEST=999
for c in 64 256 1024; do
  e=$(med ${E[$c]}); q=$(med ${Q[$c]})
  lmax=$(tr ' ' '\n' <<< "${L[$c]}" | sort -n | tail -1)
  rmax=$(tr ' ' '\n' <<< "${M[$c]}" | sort -n | tail -1)
  printf '%-12s %10.0f %12s %8.3fs %9s %10s %6s KiB\n' "$c" "$q" "$(med ${R[$c]})" "$e" \
    "$(med ${C[$c]})" "$lmax" "$rmax"
  BEST=$(python3 -c "print(min($BEST, $e))")
done
echo "ratio per round:"; for c in 64 256 1024; do echo "  $c:${R[$c]}"; done
python3 -c "print(f'--concurrency 1024: {$(med ${E[1024]})/$BEST:.2f} x the best setting\'s median time')"

echo
echo "== peak RSS, default concurrency"
/usr/bin/time -f "%M" -o "$WORK/rss24" "$BIN" scan 198.18.7.0/24 --resolver "127.0.0.1:$PORT" \
  --lists "$WORK/catalog.toml" --no-txt --format ndjson -q > /dev/null || true
read -r _ _ _ m16 _ <<< "$(scan16 64)"
echo "/24 scan: $(tail -1 "$WORK/rss24") KiB   /16 scan: $m16 KiB"

if [ "${1:-}" = "--perf" ]; then
  echo
  echo "== perf: a default /16 scan, top entries (self time)"
  perf record -q -g -o "$WORK/perf.data" "$BIN" scan 198.18.0.0/16 --resolver "127.0.0.1:$PORT" \
    --lists "$WORK/catalog.toml" --no-txt --format ndjson -q > /dev/null 2>&1 || true
  perf report -i "$WORK/perf.data" --no-children --sort symbol -g none 2>/dev/null \
    | grep -v '^#' | grep '%' | head -25 | sed 's/ \{3,\}/  /g' || true
  echo "-- by object:"
  perf report -i "$WORK/perf.data" --no-children --sort dso -g none 2>/dev/null \
    | grep -v '^#' | grep '%' | head -6 | sed 's/ \{3,\}/  /g' || true
fi
