#!/usr/bin/env bash
# Bounce-reading benchmark: `blocklens explain --offline` on bounces of 1, 2, 4
# and 8 MiB (a multipart/report whose returned message carries a base64
# attachment, a single 550 line padded to size, and binary noise), timed
# against Python's email parser reading the same file (the anchor, same run).
# Time should grow linearly with size: the cost of each extra MiB is printed per
# step (1->2, 2->4, 4->8 MiB) and stays flat or falls (binary noise can read
# faster at 8 MiB: scanning stops at 1000 recipient-like lines).
#
# Usage: bench/bounce.sh            (needs python3; builds a release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=target/release/blocklens
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" <<'PY'
import base64, os, sys
work = sys.argv[1]
head = """From: MAILER-DAEMON@mx.example.org
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain; charset=us-ascii

<b@example.net>: host mx.example.net[203.0.113.5] said: 554 5.7.1 Service
    unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; b@example.net
Action: failed
Status: 5.7.1
Diagnostic-Code: smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.10]
    blocked using zen.spamhaus.org

--B
Content-Type: message/rfc822

From: a@example.org
Subject: report
Content-Type: multipart/mixed; boundary="C"

--C
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

"""
block = os.urandom(1024 * 1024)
for mib in (1, 2, 4, 8):
    size = mib * 1024 * 1024
    raw = os.urandom(size * 3 // 4 - len(head))
    b64 = base64.encodebytes(raw).decode()
    open(f"{work}/dsn-{mib}.eml", "w").write(head + b64 + "\n--C--\n--B--\n")
    open(f"{work}/line-{mib}.txt", "w").write("550 5.7.1 " + "a" * (size - 11) + "\n")
    open(f"{work}/binary-{mib}.bin", "wb").write((block * mib)[:-1])
PY

secs() { # seconds for the command, best of 3
  local best=999
  for _ in 1 2 3; do
    local s e
    s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
    best=$(echo "$e - $s" | bc | awk -v b="$best" '{ print ($1 < b) ? $1 : b }')
  done
  echo "$best"
}

echo "550 5.7.1 blocked using zen.spamhaus.org" > "$WORK/tiny.txt"
t0=$(secs "$BIN" explain --offline --format json "$WORK/tiny.txt")
printf 'start-up (a one-line input): %.3f s\n' "$t0"
printf '%-8s %5s %12s %12s %8s\n' kind MiB blocklens_s python_s ratio
steps=""
for kind in dsn line binary; do
  first=""
  for mib in 1 2 4 8; do
    f=$(ls "$WORK/$kind-$mib".*)
    b=$(secs "$BIN" explain --offline --format json "$f")
    p=$(secs python3 -c 'import email,sys; email.message_from_binary_file(open(sys.argv[1],"rb"))' "$f")
    printf '%-8s %5s %12.3f %12.3f %8.2f\n' "$kind" "$mib" "$b" "$p" "$(echo "$b / $p" | bc -l)"
    if [ -n "$first" ]; then
      steps="$steps $(echo "($b - $prev) / ($mib - $prevmib) * 1000" | bc -l | xargs printf '%.0f')"
    fi
    first=${first:-$b}; prev=$b; prevmib=$mib
  done
  printf '%-8s ms per extra MiB (1->2, 2->4, 4->8):%s\n' "$kind" "$steps"
  first=""; steps=""
done
