#!/usr/bin/env bash
# Zone data benchmark: a one-million-entry ip4set (single addresses and
# CIDRs in 10.0.0.0/8) loaded in process, and all 16,777,216 addresses of
# 10.0.0.0/8 looked up, beside the anchor measured in the same run: rbldnsd
# loading the same file (time from start until it answers a query, and its
# peak memory). dnsperf, if installed, gives rbldnsd's query rate over
# loopback for scale. Everything stays on 127.0.0.1. Needs rbldnsd
# (apt-get install rbldnsd); builds the example in release mode.
#
# Usage: bench/zonedata.sh            (ENTRIES=N to change the size)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

RBLDNSD=$(command -v rbldnsd || echo /usr/sbin/rbldnsd)
[ -x "$RBLDNSD" ] || { echo "rbldnsd is not installed (apt-get install rbldnsd)"; exit 2; }
ENTRIES=${ENTRIES:-1000000}

cargo build --release --quiet --example zonedata_bench
BIN=target/release/examples/zonedata_bench

WORK=$(mktemp -d)
chmod 755 "$WORK"
trap 'kill "$(cat "$WORK/pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$WORK"' EXIT

"$BIN" gen "$WORK/data.txt" "$ENTRIES"
chmod 644 "$WORK/data.txt"
echo "== data: $(wc -l < "$WORK/data.txt") lines, $(du -h "$WORK/data.txt" | cut -f1)"

PORT=$(free_port)

echo "== anchor: rbldnsd loads the same file (start until it answers 2.0.0.127)"
# Starts rbldnsd, sends a query every 2 ms until one is answered, and prints
# the elapsed time and rbldnsd's peak RSS (VmHWM; it has loaded by then).
python3 - "$RBLDNSD" "$PORT" "$WORK" <<'PY' > "$WORK/anchor.txt"
import socket, struct, subprocess, sys, time
exe, port, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
name = b"".join(bytes([len(l)]) + l for l in b"2.0.0.127.bl.bench.test".split(b".")) + b"\0"
query = struct.pack(">HHHHHH", 0x1234, 0, 1, 0, 0, 0) + name + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.002)
t0 = time.monotonic()
p = subprocess.Popen([exe, "-n", "-b", f"127.0.0.1/{port}", "-p", f"{work}/pid",
                      f"bl.bench.test:ip4set:{work}/data.txt"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while True:
    s.sendto(query, ("127.0.0.1", port))
    try:
        s.recvfrom(512)
        break
    except OSError:
        if p.poll() is not None or time.monotonic() - t0 > 120:
            sys.exit("rbldnsd did not answer")
elapsed = time.monotonic() - t0
hwm = [l.split()[1] for l in open(f"/proc/{p.pid}/status") if l.startswith("VmHWM")][0]
print(f"{elapsed:.3f} {hwm}")
PY
read -r RBL_LOAD RBL_RSS < "$WORK/anchor.txt"
echo "rbldnsd: answering after $RBL_LOAD s, peak RSS $RBL_RSS KiB"

DNSPERF_QPS=""
if command -v dnsperf >/dev/null; then
  for a in $(seq 0 255); do for b in $(seq 0 255); do echo "$b.$a.0.10.bl.bench.test A"; done; done > "$WORK/names.txt"
  dnsperf -s 127.0.0.1 -p "$PORT" -d "$WORK/names.txt" -c 1 -T 1 -q 100 -n 1 > "$WORK/dnsperf.txt" 2>&1 || true
  DNSPERF_QPS=$(awk '/Queries per second/ {print $4}' "$WORK/dnsperf.txt")
  echo "rbldnsd over loopback (dnsperf, 65,536 queries of 10.0.0.0/16): $DNSPERF_QPS queries/s"
fi
kill "$(cat "$WORK/pid")" 2>/dev/null || true

echo "== blocklens zonedata (in process)"
/usr/bin/time -f "%M" -o "$WORK/rss" "$BIN" run "$WORK/data.txt" | tee "$WORK/ours.txt"
OUR_RSS=$(tail -1 "$WORK/rss")
OUR_LOAD=$(awk '/^load:/ {print $2}' "$WORK/ours.txt")
OUR_RATE=$(sed -n 's/^is_listed_v4.* \([0-9.]*\) M\/s.*/\1/p' "$WORK/ours.txt")

echo "== results"
echo "load:      blocklens $OUR_LOAD s, rbldnsd $RBL_LOAD s"
python3 -c "print(f'           ratio {float($OUR_LOAD)/float($RBL_LOAD):.2f} of rbldnsd\'s load time')"
echo "peak RSS:  blocklens $OUR_RSS KiB (whole process: load and lookups), rbldnsd $RBL_RSS KiB"
python3 -c "print(f'           ratio {int($OUR_RSS)/int($RBL_RSS):.2f} of rbldnsd')"
echo "lookups:   $OUR_RATE M/s in process over all of 10.0.0.0/8"
if [ -n "$DNSPERF_QPS" ]; then
  python3 -c "print(f'           {float($OUR_RATE)*1e6/float($DNSPERF_QPS):.0f} times rbldnsd\'s rate over loopback')"
fi
