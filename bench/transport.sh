#!/usr/bin/env bash
# Transport benchmark: the bulk API of blocklens::dns::Client alone
# (examples/bulk_bench.rs) against rbldnsd on loopback, with dnsperf over the
# same 65,536 names of 198.18.0.0/16 as the anchor in the same run (three
# interleaved rounds, medians: the machine is shared and noisy). Then peak RSS of a /24 and a
# /16, two fault runs (10% packet loss; a zone that goes silent halfway,
# through an in-process relay, no firewall), and the decoder's cost against
# hickory-proto. Everything stays on 127.0.0.1. Needs rbldnsd and dnsperf
# (apt-get install rbldnsd dnsperf); builds the release examples.
#
# Usage: bench/transport.sh [--perf]   (--perf: also perf record the default run)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

command -v dnsperf >/dev/null || { echo "dnsperf is not installed (apt-get install dnsperf)"; exit 2; }
RBLDNSD=$(command -v rbldnsd || echo /usr/sbin/rbldnsd)
[ -x "$RBLDNSD" ] || { echo "rbldnsd is not installed (apt-get install rbldnsd)"; exit 2; }

cargo build --release --quiet --example bulk_bench --example decode_cost
BENCH=target/release/examples/bulk_bench

WORK=$(mktemp -d)
chmod 755 "$WORK"
trap 'kill "$(cat "$WORK/pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# 198.18.0.0/15 is the benchmarking range (RFC 2544). One address in sixteen
# (198.18.a.b with b % 16 == 0) is listed; bulk_bench checks every answer.
bench_data "$WORK/data.txt"
for a in $(seq 0 255); do for b in $(seq 0 255); do echo "$b.$a.18.198.bl.bench.test A"; done; done > "$WORK/names.txt"

PORT=$(free_port)
"$RBLDNSD" -n -b "127.0.0.1/$PORT" -p "$WORK/pid" \
  "bl.bench.test:ip4set:$WORK/data.txt" "dead.bench.test:ip4set:$WORK/data.txt" >/dev/null 2>&1 &
for _ in $(seq 50); do [ -s "$WORK/pid" ] && break; sleep 0.1; done
sleep 0.5
SERVER="127.0.0.1:$PORT"

dnsperf_qps() {
  dnsperf -s 127.0.0.1 -p "$PORT" -d "$WORK/names.txt" -c 1 -T 1 -q 100 -n 1 > "$WORK/dnsperf.txt" 2>&1 || true
  awk '/Queries per second/ {printf "%d", $4}' "$WORK/dnsperf.txt"
}

# Runs bulk_bench under /usr/bin/time; prints its result line with rss_kib= added.
bench() {
  /usr/bin/time -f "%M" -o "$WORK/rss" "$BENCH" --server "$SERVER" "$@" > "$WORK/line"
  echo "$(cat "$WORK/line") rss_kib=$(tail -1 "$WORK/rss")"
}

field() { tr ' ' '\n' <<< "$2" | sed -n "s/^$1=//p"; }
# Lost: queries of bl.bench.test without the right verdict (wrong answers and failures).
lost() { python3 -c "
import re,sys
m=re.search(r'bl\.bench\.test:right=(\d+)', sys.argv[1]); print($2 - int(m.group(1)))" "$1"; }

ROUNDS=3
med() { python3 -c "import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }

echo "== $ROUNDS rounds, each: dnsperf -c 1 -T 1 -q 100 over the same 65,536 names, then the bulk API at"
echo "   --concurrency 64 (the default), 256 and 1024 over 198.18.0.0/16; medians below"
declare -A E Q L R M
DQ=()
for round in $(seq "$ROUNDS"); do
  DQ+=("$(dnsperf_qps)")
  for c in 64 256 1024; do
    l=$(bench --concurrency "$c")
    E[$c]+=" $(field elapsed "$l")"; Q[$c]+=" $(field qps "$l")"
    L[$c]+=" $(lost "$l" 65536)"; R[$c]+=" $(( $(field transmissions "$l") - $(field queries "$l") ))"
    M[$c]+=" $(field rss_kib "$l")"
  done
done
DQ+=("$(dnsperf_qps)")
DMED=$(med "${DQ[@]}")
echo "dnsperf runs: ${DQ[*]} q/s (median $DMED)"
echo
printf '%-12s %10s %7s %9s %10s %14s %10s\n' concurrency "q/s" ratio elapsed "lost(max)" "retransmitted" "peak RSS"
BEST=999
for c in 64 256 1024; do
  e=$(med ${E[$c]}); q=$(med ${Q[$c]})
  lmax=$(tr ' ' '\n' <<< "${L[$c]}" | sort -n | tail -1)
  rmax=$(tr ' ' '\n' <<< "${M[$c]}" | sort -n | tail -1)
  printf '%-12s %10.0f %7s %8.3fs %10s %14s %6s KiB\n' "$c" "$q" \
    "$(python3 -c "print(f'{$q/$DMED:.2f}')")" "$e" "$lmax" "$(med ${R[$c]} | cut -d. -f1)" "$rmax"
  BEST=$(python3 -c "print(min($BEST, $e))")
done
echo "elapsed per round:"; for c in 64 256 1024; do echo "  $c:${E[$c]}"; done
python3 -c "print(f'--concurrency 1024: {$(med ${E[1024]})/$BEST:.2f} x the best setting\'s median time')"

echo
echo "== peak RSS, default concurrency"
S24=$(bench --count 256); S16=$(bench --count 65536)
echo "/24: $(field rss_kib "$S24") KiB   /16: $(field rss_kib "$S16") KiB"

echo
echo "== fault: 10% of queries dropped (relay in process), 65,536 queries"
F=$(bench --loss 10)
echo "elapsed $(field elapsed "$F") s, $(field qps "$F") q/s, lost $(lost "$F" 65536), retransmissions $(( $(field transmissions "$F") - $(field queries "$F") ))"

echo
echo "== fault: dead.bench.test goes silent after 65,536 of 131,072 queries (bl.bench.test keeps answering)"
F=$(bench --zone bl.bench.test --zone dead.bench.test --silent-zone dead.bench.test --silent-after 65536)
echo "elapsed $(field elapsed "$F") s; live zone lost $(lost "$F" 65536)"
sed -n 's/.*\(dead\.bench\.test:[^ ]*\).*/silent zone: \1/p' <<< "$F"

echo
echo "== decoder cost"
target/release/examples/decode_cost

if [ "${1:-}" = "--perf" ]; then
  echo
  echo "== perf: default run, top entries (self time)"
  perf record -q -g -o "$WORK/perf.data" "$BENCH" --server "$SERVER" > /dev/null 2>&1
  perf report -i "$WORK/perf.data" --no-children --sort symbol -g none 2>/dev/null \
    | grep -v '^#' | grep '%' | head -20 | sed 's/ \{3,\}/  /g' || true
  echo "-- by object:"
  perf report -i "$WORK/perf.data" --no-children --sort dso -g none 2>/dev/null \
    | grep -v '^#' | grep '%' | head -5 | sed 's/ \{3,\}/  /g' || true
fi
