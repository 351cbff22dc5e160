#!/usr/bin/env bash
# bench/storm.sh [DIR] — the capture summariser on DNS timeout storms: speed,
# peak RSS, and its DNS counts beside tshark's two-pass matching (tshark -2).
#
# Writes into DIR (default /tmp/podnetdiag-bench; never commit them) storms of
# 400,000 and 2,000,000 unanswered queries (no answer at all, at 20,000 and
# 100,000 queries/s) and a smaller one with answers (442,000 packets at
# 50,000 queries/s, 95% unanswered), and the 2,000,000-packet mix for
# comparison; prints packets/s by wall clock and by CPU time (the machine may
# be shared), peak RSS, and the counts. TSHARK=0 skips tshark (minutes).
# Needs go and GNU time; tshark for the comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-/tmp/podnetdiag-bench}
mkdir -p "$dir"
[ -x /usr/bin/time ] || { echo "$0: GNU time not found (apt-get install time)" >&2; exit 2; }
go build -o "$dir/gencap" ./bench/gencap
go build -o "$dir/capsum" ./bench/capsum

gen() { # NAME ARGS...
	local f=$dir/$1.pcap
	shift
	[ -s "$f" ] || "$dir/gencap" -o "$f" "$@" >"$f.json"
}
gen storm-400k -packets 400000 -storm 20000 -unanswered-permille 1000
gen storm-2m -packets 2000000 -storm 100000 -unanswered-permille 1000
gen storm-answers -packets 442000 -storm 50000
gen mix -packets 2000000

printf '%-14s %9s %8s %12s %12s %7s  %s\n' capture packets seconds "pkts/s wall" "pkts/s CPU" RSS-MB "queries answered unanswered pending-at-end (generated unanswered)"
for name in mix storm-answers storm-400k storm-2m; do
	f=$dir/$name.pcap
	cat "$f" >/dev/null
	/usr/bin/time -f '%e %U %S %M' -o "$dir/time.out" "$dir/capsum" -json "$f" >"$dir/$name.sum.json" 2>/dev/null
	read -r wall user sys kb < <(tail -n 1 "$dir/time.out")
	python3 - "$dir/$name.sum.json" "$f.json" "$wall" "$user" "$sys" "$kb" "$name" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); g = json.load(open(sys.argv[2]))
wall, user, sys_, kb = map(float, sys.argv[3:7])
d = s["dns"]
q = sum(x["queries"] for x in d); a = sum(x["answered"] for x in d)
u = sum(x["unanswered"] for x in d); p = sum(x.get("pendingAtEnd", 0) for x in d)
print("%-14s %9d %8.2f %12.0f %12.0f %7d  %d %d %d %d (%d)" % (sys.argv[7], s["packets"], wall, s["packets"] / wall, s["packets"] / (user + sys_), kb / 1024, q, a, u, p, g["DNSUnanswered"]))
PY
done
if [ "${TSHARK:-1}" != 0 ] && command -v tshark >/dev/null; then
	for name in storm-answers storm-400k; do
		tshark -n -2 -r "$dir/$name.pcap" -Y dns -T fields -E occurrence=l -e dns.flags.response -e dns.response_in 2>/dev/null |
			awk -F'\t' -v n="$name" '$1=="0"||$1=="False"{q++; if($2!="")a++} END{printf "tshark -2 %-14s queries %d answered %d unanswered %d\n", n, q, a, q-a}'
	done
fi
