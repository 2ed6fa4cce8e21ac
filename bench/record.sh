#!/usr/bin/env bash
# Records a full benchmark run in results/ (see BENCHMARKS.md):
#   NAME.txt  the go test output, which benchstat reads
#   NAME.md   the table against the goals, with the machine, the commit and
#             the load
# NAME is the UTC date, the commit and, with -label, a label. Other
# arguments go to go test: ./record.sh -label before -waiters 200
set -uo pipefail
cd "$(dirname "$0")"
label=
if [ "${1-}" = -label ]; then
	label=-$2
	shift 2
fi
name=results/$(date -u +%Y-%m-%d)-$(git rev-parse --short HEAD)$label
go test -run '^$' -bench . -benchtime 20x -timeout 60m -table "$name.md" "$@" 2>&1 | tee "$name.txt"
status=$?
echo "record.sh: wrote $name.txt and $name.md; go test exit status $status"
exit "$status"
