#!/usr/bin/env bash
# The project's test command (README, second line). Runs what CI runs:
# formatting and vet, the portable analyzer build, every fuzz target for a few
# thousand inputs, then the whole test suite. FUZZTIME=60s hack/test.sh fuzzes
# longer (any -fuzztime value).
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-20000x}
# A count, not a duration: a duration puts a deadline on the whole fuzzing
# context, and a worker busy (minimising, or between inputs) when it passes
# fails the run with "context deadline exceeded" although nothing was wrong
# (FuzzParseIPPools, CI of stop 13). New inputs are minimised for at most 1 s.

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt wants to change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== analyze builds without cgo, for linux and darwin"
CGO_ENABLED=0 go build -o /dev/null ./cmd/analyze
CGO_ENABLED=0 GOOS=darwin GOARCH=arm64 go build -o /dev/null ./cmd/analyze
if go list -deps ./cmd/analyze | grep -E 'vishvananda/netlink|moby/ipvs'; then
	echo "analyze must not import netlink or ipvs"; exit 1
fi

echo "== fuzz each target, -fuzztime=$fuzztime"
go test -list '^Fuzz' ./... | awk '/^Fuzz/{print $0} /^ok/{print "PKG " $2}' >/tmp/podnetdiag-fuzz.$$
# go test -list prints the targets of a package before its "ok PKG" line.
targets=()
while read -r a b; do
	if [ "$a" = PKG ]; then
		for t in "${targets[@]:-}"; do
			[ -n "$t" ] || continue
			echo "-- $b $t"
			go test -run='^$' -fuzz="^${t}\$" -fuzztime="$fuzztime" -fuzzminimizetime=1s -parallel=2 "$b" >/tmp/podnetdiag-fuzzout.$$ 2>&1 ||
				{ cat /tmp/podnetdiag-fuzzout.$$; rm -f /tmp/podnetdiag-fuzz*.$$; exit 1; }
		done
		targets=()
	else
		targets+=("$a")
	fi
done </tmp/podnetdiag-fuzz.$$
rm -f /tmp/podnetdiag-fuzz*.$$

echo "== go test"
go test -count=1 ./...

echo "== real-kernel fault lab (lab/)"
# Three namespaced nodes per case, collect on each, analyze on the bundles;
# one line per case: case, expected root cause, root cause given, time, other
# findings at warning or above.
if [ "$(id -u)" != 0 ]; then
	echo "lab: skipped: needs root (network, UTS, mount and PID namespaces)"
else
	table=$(mktemp)
	rc=0
	PODNETDIAG_LAB=1 PODNETDIAG_LAB_TABLE="$table" go test -count=1 -timeout 20m -run '^TestLabMatrix$' ./lab >"$table.log" 2>&1 || rc=$?
	if [ -s "$table" ]; then cat "$table"; else grep -E 'SKIP|skip' "$table.log" || true; fi
	if [ $rc != 0 ]; then cat "$table.log"; rm -f "$table" "$table.log"; exit $rc; fi
	rm -f "$table" "$table.log"
fi
