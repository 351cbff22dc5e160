#!/usr/bin/env bash
# bench/capture.sh [DIR] — throughput and memory of the capture summariser
# (pkg/capture) side by side with tshark and tcpdump on the same files.
#
# Generates synthetic node captures (bench/gencap: IP-in-IP and VXLAN tunnels
# carrying pod TCP and DNS, plain DNS to the kube-dns VIP, 2% of queries
# unanswered) of 2,000,000 packets, ~100 MB and ~1 GB into DIR (default
# /tmp/podnetdiag-bench; never commit them), then times on each, page cache
# warm for all:
#   ours     bench/capsum FILE                     (the full summary)
#   tshark   tshark -q -z conv,ip -r FILE          (IP conversations only)
#   tcpdump  tcpdump -r FILE -nn 'ip proto 4' | wc -l   (count IP-in-IP only)
# and prints packets/s and peak RSS (GNU time's %M) of each. tshark takes
# minutes to hours on the large files: TIMEOUT=600 bench/capture.sh caps each
# command (status 124 then).
#
# Needs go, GNU time (/usr/bin/time, package "time"), tshark and tcpdump.
# SIZES="2000000p 100M" bench/capture.sh limits the runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH

dir=${1:-/tmp/podnetdiag-bench}
sizes=${SIZES:-2000000p 100M 1G}
mkdir -p "$dir"
for tool in go tshark tcpdump; do
	command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "$0: GNU time not found (apt-get install time)" >&2; exit 2; }

go build -o "$dir/gencap" ./bench/gencap
go build -o "$dir/capsum" ./bench/capsum

# measure CMD...: prints seconds, peak RSS in MB and exit status. A command
# killed by the timeout (TIMEOUT seconds, default 3600) shows status 124.
measure() {
	local out=$dir/time.out
	/usr/bin/time -f '%e %M %x' -o "$out" timeout "${TIMEOUT:-3600}" "$@" >/dev/null 2>"$dir/stderr.out" || true
	# time writes "Command exited with non-zero status N" before its line.
	read -r secs kb status < <(tail -n 1 "$out")
	echo "$secs $((kb / 1024)) $status"
}

printf '%-16s %-9s %-8s %9s %12s %7s %8s %s\n' capture packets tool seconds packets/s RSS-MB "vs ours" status
for size in $sizes; do
	file=$dir/cap-$size.pcap
	if [ ! -s "$file" ]; then
		case $size in
		*p) "$dir/gencap" -o "$file" -packets "${size%p}" >"$file.json" ;;
		*) "$dir/gencap" -o "$file" -size "$size" >"$file.json" ;;
		esac
	fi
	packets=$(grep -o '"Packets":[0-9]*' "$file.json" | cut -d: -f2)
	ipip=$(grep -o '"IPIP":[0-9]*' "$file.json" | cut -d: -f2)
	cat "$file" >/dev/null # the page cache serves every tool alike

	# Best of five for ours (the machine is shared); one run of each
	# other tool, which takes minutes on the large files.
	best=
	for _ in 1 2 3 4 5; do
		r=$(measure "$dir/capsum" "$file")
		if [ -z "$best" ] || awk -v a="${r%% *}" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then best=$r; fi
	done
	read -r ours_s ours_mb ours_x <<<"$best"
	read -r ts_s ts_mb ts_x <<<"$(measure tshark -q -z conv,ip -r "$file")"
	[ "$ts_x" = 0 ] || echo "  tshark exited with status $ts_x: $(tail -c 300 "$dir/stderr.out")"
	read -r td_s td_mb td_x <<<"$(measure sh -c "tcpdump -r '$file' -nn 'ip proto 4' 2>/dev/null | wc -l")"
	got=$(tcpdump -r "$file" -nn 'ip proto 4' 2>/dev/null | wc -l)
	mb=$(($(stat -c %s "$file") / 1048576))
	for row in "ours $ours_s $ours_mb $ours_x" "tshark $ts_s $ts_mb $ts_x" "tcpdump $td_s $td_mb $td_x"; do
		read -r tool s m x <<<"$row"
		awk -v c="${size}/${mb}MB" -v p="$packets" -v t="$tool" -v s="$s" -v m="$m" -v o="$ours_s" -v x="$x" 'BEGIN{
			pps = (s > 0) ? p / s : 0
			printf "%-16s %-9d %-8s %9.2f %12.0f %7d %7.0fx %s\n", c, p, t, s, pps, m, (o > 0) ? s / o : 0, (x == 0) ? "ok" : "exit " x }'
	done
	[ "$got" = "$ipip" ] || echo "  (tcpdump counted $got IP-in-IP packets, the generator wrote $ipip)"
done
