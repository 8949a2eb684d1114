#!/usr/bin/env bash
# Runs every test: installs what the tests need, builds, runs all test projects against real peers
# (pymodbus, mbpoll, and later mosquitto/influxd) started on 127.0.0.1, and prints a summary line.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/common.sh

ensure_packages

results=.test-run/results
rm -rf "$results"
mkdir -p "$results"
# The browser tests save screenshots here (IRRIGATION_SCREENSHOTS); listed at the end.
export IRRIGATION_SCREENSHOTS=${IRRIGATION_SCREENSHOTS:-$PWD/.test-run/screenshots}
rm -f "$IRRIGATION_SCREENSHOTS"/*.png

build_web # into the server's wwwroot, before the server is built
log "building"
dotnet build Irrigation.sln -c Debug -nologo -v q

log "running tests"
status=0
dotnet test Irrigation.sln -c Debug --no-build -nologo -v q \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" || status=$?

# One closing line in the plain 'N passed, N failed' form, summed over every test assembly.
passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [[ -e $trx ]] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  n=$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})) failed=$((failed + ${f:-0})) skipped=$((skipped + ${n:-0}))
done
if ((passed == 0 && status == 0)); then
  log "no test ran"
  status=1
fi
# CI shows only the tail of the output, so the failures are listed again right above the summary.
if ((failed > 0)); then
  echo "failed tests:"
  /usr/bin/python3 scripts/trx_failures.py "$results"/*.trx || true
fi
if compgen -G "$IRRIGATION_SCREENSHOTS/*.png" >/dev/null; then
  echo "browser screenshots: $IRRIGATION_SCREENSHOTS ($(ls "$IRRIGATION_SCREENSHOTS"/*.png | wc -l) PNG files)"
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
