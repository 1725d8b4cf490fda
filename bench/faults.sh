#!/usr/bin/env bash
# Fault-injection benchmark: what a /16 scan costs, and what it reports, when
# the network or a list misbehaves. rbldnsd serves two zones (bl1, bl2) from
# the same data on loopback; `blocklens scan 198.18.0.0/16` (65,536 targets,
# 131,072 queries, default --timeout and --attempts) runs:
#
#   direct      straight at rbldnsd (the anchor of this run)
#   relay       through examples/udp_relay.rs with no faults (the relay's own cost)
#   loss10      through the relay dropping 10% of queries and 10% of replies
#   silent      through the relay; bl1 stops answering after 65,536 queries
#               (about halfway), bl2 keeps answering
#
# Every report is checked against the data (198.18.a.b is listed when
# b % 16 == 0): a target missing or with a wrong verdict is lost; a target is
# incomplete when some zone could not be asked; and a result `not_listed`
# from a zone after the relay silenced it would be a lie (counted as
# "clean without proof", must be 0). Each case runs ROUNDS times (default 3),
# interleaved, at the default --concurrency and at 1024. Needs rbldnsd.
#
# Usage: bench/faults.sh     (ROUNDS=N; BIN=FILE measures that binary;
#                             SCAN_ARGS="..." adds flags to every scan)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

RBLDNSD=$(command -v rbldnsd || echo /usr/sbin/rbldnsd)
[ -x "$RBLDNSD" ] || { echo "rbldnsd is not installed (apt-get install rbldnsd)"; exit 2; }
ROUNDS=${ROUNDS:-3}
cargo build --release --quiet --example udp_relay
RELAY_BIN=target/release/examples/udp_relay
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/blocklens
fi

WORK=$(mktemp -d)
chmod 755 "$WORK"
PIDS=()
trap 'kill "$(cat "$WORK/pid" 2>/dev/null)" "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

bench_data "$WORK/data.txt"
for z in 1 2; do
  cat >> "$WORK/catalog.toml" <<TOML
[[zone]]
zone = "bl$z.bench.test"
name = "Benchmark list $z"
targets = "ip"
lookup_url = "https://bench.example/{target}"
notes = "rbldnsd on loopback"
[zone.codes]
"127.0.0.2" = "listed"

TOML
done

PORT=$(free_port)
"$RBLDNSD" -n -b "127.0.0.1/$PORT" -p "$WORK/pid" \
  "bl1.bench.test:ip4set:$WORK/data.txt" "bl2.bench.test:ip4set:$WORK/data.txt" >/dev/null 2>&1 &
for _ in $(seq 50); do [ -s "$WORK/pid" ] && break; sleep 0.1; done
sleep 0.5

# Starts a relay with flags "$@"; sets RELAY (its address) and RELAY_PID.
start_relay() {
  rm -f "$WORK/relay.addr" "$WORK/stats"
  "$RELAY_BIN" --server "127.0.0.1:$PORT" --stats "$WORK/stats" "$@" > "$WORK/relay.addr" &
  RELAY_PID=$!
  PIDS+=("$RELAY_PID")
  for _ in $(seq 50); do [ -s "$WORK/relay.addr" ] && break; sleep 0.05; done
  RELAY=$(head -1 "$WORK/relay.addr")
}

stop_relay() {
  sleep 0.3  # the relay writes its counters every 200 ms
  kill "$RELAY_PID" 2>/dev/null || true
  wait "$RELAY_PID" 2>/dev/null || true
}

# Checks the NDJSON in $1; prints "lost incomplete unproven".
check() { python3 - "$1" <<'PY'
import json, sys
lost = incomplete = unproven = 0
expected = [(a, b) for a in range(256) for b in range(256)]
lines = open(sys.argv[1]).read().splitlines()
lost += max(0, len(expected) - len(lines))
for line, (a, b) in zip(lines, expected):
    r = json.loads(line)
    listed = b % 16 == 0
    statuses = {z["zone"]: z["status"] for z in r["results"]}
    if r["target"] != f"198.18.{a}.{b}":
        lost += 1
        continue
    if r["verdict"] == "incomplete":
        incomplete += 1
        # Incomplete is honest only if a zone really was not asked: the
        # zones that did answer must still be right.
        for s in statuses.values():
            if s in ("listed", "not_listed") and (s == "listed") != listed:
                lost += 1
                break
        continue
    want = "listed" if listed else "clean"
    if r["verdict"] != want:
        lost += 1
    if r["verdict"] == "clean" and any(s != "not_listed" for s in statuses.values()):
        unproven += 1
print(lost, incomplete, unproven)
PY
}

# scan CONCURRENCY RESOLVER: prints "elapsed lost incomplete unproven".
scan() {
  local start end
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  "$BIN" scan 198.18.0.0/16 --resolver "$2" --lists "$WORK/catalog.toml" --no-txt \
    --format ndjson --concurrency "$1" -q ${SCAN_ARGS:-} > "$WORK/out.ndjson" 2> "$WORK/err.txt" || true
  end=$(date +%s.%N)
  echo "$(python3 -c "print(f'{$end - $start:.2f}')") $(check "$WORK/out.ndjson")"
}

# bl1 results that are `error` (in the silent case: the lookups after the
# zone went quiet, each reported as not answered, never as not listed).
bl1_errors() { python3 - "$1" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    for z in json.loads(line)["results"]:
        n += z["zone"] == "bl1.bench.test" and z["status"] == "error"
print(n)
PY
}

echo "== blocklens scan 198.18.0.0/16, two zones, 131,072 queries; $ROUNDS rounds per case"
printf '%-8s %-12s %9s %6s %11s %10s %s\n' case concurrency elapsed lost incomplete unproven relay
for round in $(seq "$ROUNDS"); do
  for c in 64 1024; do
    read -r e l i u <<< "$(scan "$c" "127.0.0.1:$PORT")"
    printf '%-8s %-12s %8ss %6s %11s %10s\n' direct "$c" "$e" "$l" "$i" "$u"

    start_relay
    read -r e l i u <<< "$(scan "$c" "$RELAY")"
    stop_relay
    printf '%-8s %-12s %8ss %6s %11s %10s %s\n' relay "$c" "$e" "$l" "$i" "$u" "$(cat "$WORK/stats")"

    start_relay --loss 10 --seed "$round"
    read -r e l i u <<< "$(scan "$c" "$RELAY")"
    stop_relay
    printf '%-8s %-12s %8ss %6s %11s %10s %s\n' loss10 "$c" "$e" "$l" "$i" "$u" "$(cat "$WORK/stats")"

    start_relay --silent-zone bl1.bench.test --silent-after 65536
    read -r e l i u <<< "$(scan "$c" "$RELAY")"
    stop_relay
    printf '%-8s %-12s %8ss %6s %11s %10s %s bl1_errors=%s\n' silent "$c" "$e" "$l" "$i" "$u" \
      "$(cat "$WORK/stats")" "$(bl1_errors "$WORK/out.ndjson")"
  done
done
