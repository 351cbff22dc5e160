#!/usr/bin/env bash
# bench/fleet.sh [DIR] — fleet analysis beside decompression: for each N in
# $NS (default "10 100 1000") writes N node bundles with bench/genfleet (the
# S100 shape: 2,000 IPVS services x 3 real servers, a route and a BGP session
# per peer, every node in kube/nodes.json, a 20 MB capture per node; from
# N >= 1000 the S1000 shape, 1 MB captures), then runs, one after the other,
#   analyze -o json DIR/fleet-N/*.tgz
#   gzip -dc DIR/fleet-N/*.tgz | wc -c    (the bytes unpacked)
# and prints wall and CPU seconds, peak RSS, the ratio analyze/gzip (of wall
# time, and of CPU time beside it: the machine may be shared), and
# whether the report's root cause is the planted fault (rule and node).
#
# DIR defaults to /tmp/podnetdiag-bench (never commit what is written there).
# Environment: NS, CAPTURE (capture size for every N, e.g. 5M), SERVICES,
# REALS, FAULT (route-next-hop-wrong | ipvs-dns-no-backends), ENCAP (ipip |
# vxlan), STORM (queries/s of a storm on the faulty node), REGEN=1 (write the
# bundles again even when they are there), TIMEOUT (seconds analyze may run,
# default 1200; analyze runs with its default flags), RSS_LIMIT_MB (analyze is stopped above it, default 10240:
# the machine is shared and has no swap). A run stopped by either bound is
# reported with the time and RSS it had reached.
# Needs go, jq and GNU time (apt-get install time).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-/tmp/podnetdiag-bench}
mkdir -p "$dir/bin"
[ -x /usr/bin/time ] || { echo "$0: GNU time not found (apt-get install time)" >&2; exit 2; }
command -v jq >/dev/null || { echo "$0: jq not found" >&2; exit 2; }
go build -o "$dir/bin/genfleet" ./bench/genfleet
go build -o "$dir/bin/analyze" ./cmd/analyze
timeout_s=${TIMEOUT:-1200}
rss_limit_kb=$(( ${RSS_LIMIT_MB:-10240} * 1024 ))
commit=$(git rev-parse --short HEAD)
echo "# $(date -u +%FT%TZ) commit $commit ($(git log -1 --format=%s | cut -c1-70))"
echo "# $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GB", $2/1048576}' /proc/meminfo); load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# run LABEL OUT CMD...: runs CMD under GNU time, stopping it past the time
# or RSS bound; sets wall, cpu, rss_mb, stopped.
run() {
	local label=$1 out=$2
	shift 2
	/usr/bin/time -f '%e %U %S %M' -o "$dir/time.out" "$@" >"$out" 2>"$dir/$label.err" &
	local tpid=$! child="" start=$SECONDS peak=0 kb
	stopped=""
	while kill -0 "$tpid" 2>/dev/null; do
		[ -n "$child" ] || child=$(pgrep -P "$tpid" | head -n 1 || true)
		if [ -n "$child" ] && kb=$(awk '/^VmRSS/{print $2}' "/proc/$child/status" 2>/dev/null) && [ -n "$kb" ]; then
			[ "$kb" -gt "$peak" ] && peak=$kb
			if [ "$kb" -gt "$rss_limit_kb" ]; then
				stopped="RSS above ${RSS_LIMIT_MB:-10240} MB after $((SECONDS - start)) s"
			elif [ $((SECONDS - start)) -ge "$timeout_s" ]; then
				stopped="still running after ${timeout_s} s (RSS then $((kb / 1024)) MB)"
			fi
			if [ -n "$stopped" ]; then
				# analyze ran on past SIGTERM at N=1000 (it handles
				# the signal): give it 5 s, then SIGKILL.
				kill "$child" 2>/dev/null || true
				for _ in 1 2 3 4 5 6 7 8 9 10; do
					kill -0 "$child" 2>/dev/null || break
					sleep 0.5
				done
				kill -9 "$child" 2>/dev/null || true
				break
			fi
		fi
		sleep 0.5
	done
	wait "$tpid" || true
	if [ -n "$stopped" ]; then
		wall=$((SECONDS - start)) cpu=- rss_mb=$((peak / 1024))
		return
	fi
	local w u s m
	read -r w u s m < <(tail -n 1 "$dir/time.out")
	wall=$w cpu=$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u + s}') rss_mb=$((m / 1024))
}

printf '%-6s %-8s %5s %6s %9s | %-34s | %-22s | %-12s | %s\n' N capture files packed unpacked "analyze wall s (CPU s) RSS MB /node" "gzip -dc wall s (CPU s)" "ratio (CPU)" "root cause"
for n in ${NS:-10 100 1000}; do
	cap=${CAPTURE:-20M}
	[ -z "${CAPTURE:-}" ] && [ "$n" -ge 1000 ] && cap=1M
	out=$dir/fleet-$n
	sum=$out.summary.json
	want="${SERVICES:-2000} ${REALS:-3} $cap ${FAULT:-route-next-hop-wrong} ${ENCAP:-ipip} ${STORM:-0}"
	if [ "${REGEN:-0}" = 1 ] || [ ! -s "$sum" ] || [ "$(cat "$out.args" 2>/dev/null)" != "$want" ]; then
		# Room for the bundles: about 2.5 MB per node beside a 20 MB
		# capture (they compress ~10:1), 0.6 MB per node at N=1000.
		avail=$(df -Pk "$dir" | awk 'NR==2{print $4}')
		need=$(( n * (${cap%M} * 1024 / 8 + 4096 + n * 4) ))
		if [ "$avail" -lt "$need" ]; then
			echo "N=$n: skipped, $((avail / 1024)) MB free in $dir, about $((need / 1024)) MB needed" >&2
			continue
		fi
		rm -f "$sum"
		"$dir/bin/genfleet" -o "$out" -n "$n" -services "${SERVICES:-2000}" -reals "${REALS:-3}" -capture "$cap" \
			-fault "${FAULT:-route-next-hop-wrong}" -encap "${ENCAP:-ipip}" -storm "${STORM:-0}" >"$sum.tmp"
		mv "$sum.tmp" "$sum"
		echo "$want" >"$out.args"
	fi
	files=("$out"/*.tgz)
	packed=$(du -cb "${files[@]}" | tail -n 1 | cut -f1)
	# Warm the page cache for both, so that neither pays the disk.
	cat "${files[@]}" >/dev/null
	run gzip "$dir/gzip.out" sh -c 'gzip -dc "$@" | wc -c' sh "${files[@]}"
	gz_wall=$wall gz_cpu=$cpu unpacked=$(cat "$dir/gzip.out")
	# analyze's flags as a user runs it: --max-bundle-size (2 GiB) bounds
	# what is unpacked at once, each bundle's folder removed once parsed.
	run analyze "$dir/report-$n.json" "$dir/bin/analyze" -o json "${files[@]}"
	an_wall=$wall an_cpu=$cpu an_rss=$rss_mb an_stopped=$stopped
	if [ -n "$an_stopped" ]; then
		verdict="analyze stopped: $an_stopped"
		ratio=">$(awk -v a="$an_wall" -v g="$gz_wall" 'BEGIN{printf "%.1f", a / g}')"
	elif ! jq -e .schema "$dir/report-$n.json" >/dev/null 2>&1; then
		verdict="analyze failed: $(head -c 300 "$dir/analyze.err")"
		ratio=-
	else
		ratio=$(awk -v a="$an_wall" -v g="$gz_wall" -v ac="$an_cpu" -v gc="$gz_cpu" 'BEGIN{printf "%.2f (%.2f)", a / g, ac / gc}')
		rule=$(jq -r '.rootCause.rule // "none"' "$dir/report-$n.json")
		node=$(jq -r '.rootCause.node // ""' "$dir/report-$n.json")
		want_rule=$(jq -r '.expectRootCauseRule // "none"' "$sum")
		want_node=$(jq -r '.expectRootCauseNode // ""' "$sum")
		others=$(jq -r --arg r "$want_rule" --arg n "$want_node" \
			'[.findings[] | select(.severity != "info" and (.rule != $r or .node != $n) and (.consequenceOf // "") == "")] | length' "$dir/report-$n.json")
		conseq=$(jq -r '[.findings[] | select((.consequenceOf // "") != "")] | length' "$dir/report-$n.json")
		if [ "$rule" = "$want_rule" ] && [ "$node" = "$want_node" ]; then
			verdict="right: $rule on $node"
		else
			verdict="WRONG: $rule on $node, planted $want_rule on $want_node"
		fi
		verdict="$verdict ($conseq findings its consequences); $others other warning/critical findings"
	fi
	printf '%-6s %-8s %5d %4dMB %7dMB | %8s (%8s) %7s %5.1f | %8s (%8s)    | %-12s | %s\n' "$n" "$cap" "${#files[@]}" \
		$((packed >> 20)) $((unpacked >> 20)) "$an_wall" "$an_cpu" "$an_rss" "$(awk -v r="$an_rss" -v n="$n" 'BEGIN{print r / n}')" \
		"$gz_wall" "$gz_cpu" "$ratio" "$verdict"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
