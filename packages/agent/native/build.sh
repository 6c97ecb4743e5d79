#!/usr/bin/env bash
# Builds the NFQUEUE packet handler used by the network fault where there is no sch_netem.
# Needs: apt-get install gcc libnetfilter-queue-dev. Output: ${1:-dist/native}/pudu-nfq
# (the guest needs only the runtime library: libnetfilter-queue1).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="${1:-$HERE/../../../dist/native}"
mkdir -p "$OUT"
gcc -O2 -Wall -Wextra -Werror -o "$OUT/pudu-nfq.tmp" "$HERE/pudu-nfq.c" -lnetfilter_queue
mv "$OUT/pudu-nfq.tmp" "$OUT/pudu-nfq"
echo "$OUT/pudu-nfq"
