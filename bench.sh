#!/usr/bin/env bash
# Benchmarks, each printing a table and writing it to bench-results/ (docs/benchmarks.md). The orchestration and the
# report are C# (benchmarks/Irrigation.Benchmarks, commands `ingest` and `gateway`, on the test-support process
# wrappers); this script installs what they need, builds them in Release and runs them.
#   ./bench.sh gateway [STATIONS=1000] [SECONDS=60]   one gateway polling N simulated stations at 1 Hz
#   ./bench.sh ingest [STATIONS=200] [RATE=50] [SECONDS=60]
#                                    MQTT → server → InfluxDB at STATIONS × RATE msg/s, its maximum, latency at half
#                                    of that, and the influxd-alone and mosquitto-alone ceilings
#   ./bench.sh ingest quick [STATIONS=200] [RATE=50] [SECONDS=20]   the same, shorter (about 4 minutes)
#   ./bench.sh cluster [SERVERS=1,2,3] [STATIONS=100] [RATE=20] [SECONDS=60]
#                                    1, 2, 3 server instances sharing a three-node NATS cluster's telemetry: the drain of
#                                    a STATIONS × RATE × SECONDS backlog, CPU per message (docs/scale-out.md)
#   The maximum (b) is the drain of a backlog of BACKLOG messages (default 1,000,000; 300,000 quick) published while
#   the server is stopped: BACKLOG=2000000 ./bench.sh ingest
set -euo pipefail
cd "$(dirname "$0")"
source scripts/common.sh

what=${1:-gateway}
ensure_packages
bench=benchmarks/Irrigation.Benchmarks/bin/Release/net10.0/Irrigation.Benchmarks
build_release() {
  local project
  log "building (Release): $*"
  for project in "$@"; do
    dotnet build "$project" -c Release -nologo -v q
  done
}

case $what in
  gateway)
    build_release benchmarks/Irrigation.Benchmarks firmware-sim/Irrigation.FirmwareSim src/Irrigation.Gateway
    exec "$bench" gateway --stations "${2:-1000}" --seconds "${3:-60}"
    ;;
  ingest)
    shift
    args=()
    if [[ ${1:-} == quick ]]; then args+=(--quick); shift; fi
    [[ -n ${1:-} ]] && args+=(--stations "$1")
    [[ -n ${2:-} ]] && args+=(--rate "$2")
    [[ -n ${3:-} ]] && args+=(--seconds "$3")
    [[ -n ${BACKLOG:-} ]] && args+=(--backlog "$BACKLOG")
    build_release benchmarks/Irrigation.Benchmarks # with the server it measures
    exec "$bench" ingest "${args[@]}"
    ;;
  cluster)
    build_release benchmarks/Irrigation.Benchmarks # with the server it measures
    exec "$bench" cluster --servers "${2:-1,2,3}" --stations "${3:-100}" --rate "${4:-20}" --backlog-s "${5:-60}"
    ;;
  *) echo "usage: ./bench.sh gateway [STATIONS] [SECONDS] | ingest [quick] [STATIONS] [RATE] [SECONDS] | cluster [SERVERS] [STATIONS] [RATE] [SECONDS]"; exit 2 ;;
esac
