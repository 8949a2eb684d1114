#!/usr/bin/env bash
# Benchmarks, each printing a table and writing it to bench-results/.
#   ./bench.sh gateway [STATIONS=1000] [SECONDS=60]   one gateway polling N simulated stations at 1 Hz
set -euo pipefail
cd "$(dirname "$0")"
source scripts/common.sh

what=${1:-gateway}
ensure_packages
mkdir -p bench-results .run/bench
# Builds only the programs a benchmark runs.
build_release() {
  local project
  log "building (Release): $*"
  for project in "$@"; do
    dotnet build "$project" -c Release -nologo -v q
  done
}

calc() { awk "BEGIN { print $1 }"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
peak_rss_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

bench_gateway() {
  local stations=${1:-1000} seconds=${2:-60}
  build_release firmware-sim/Irrigation.FirmwareSim src/Irrigation.Gateway
  local dir=.run/bench/gateway
  rm -rf "$dir" && mkdir -p "$dir"
  local mqtt_port=18883 base_port=21000
  printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nmax_queued_bytes 0\n' "$mqtt_port" >"$dir/mosquitto.conf"
  start_bg mosquitto "$dir/mosquitto.log" /usr/sbin/mosquitto -c "$dir/mosquitto.conf"
  wait_port "$mqtt_port" 20 mosquitto
  start_bg firmware-sim "$dir/sim.log" firmware-sim/Irrigation.FirmwareSim/bin/Release/net10.0/firmware-sim \
    --stations "$stations" --pumps 2 --base-port "$base_port" --control-port -1 \
    --emit-gateway-config "$dir/gateway.json" --gateway-mqtt "127.0.0.1:$mqtt_port" --gateway-data "$dir/data"
  local sim_pid=${STARTED_PIDS[-1]}
  for _ in $(seq 100); do [[ -f $dir/gateway.json ]] && break; sleep 0.2; done
  # Stats every 10 s so the benchmark can read the gateway's own poll counter.
  sed -i 's/"stations": \[/"statsInterval": "00:00:10",\n  "stations": [/' "$dir/gateway.json"
  start_bg gateway "$dir/gateway.log" src/Irrigation.Gateway/bin/Release/net10.0/irrigation-gateway --config "$dir/gateway.json"
  local gw_pid=${STARTED_PIDS[-1]}
  log "warming up 15 s"
  sleep 15
  local hz; hz=$(getconf CLK_TCK)
  local gw0 sim0 t0
  gw0=$(cpu_ticks "$gw_pid"); sim0=$(cpu_ticks "$sim_pid"); t0=$(date +%s.%N)
  local log_line0; log_line0=$(wc -l <"$dir/gateway.log")
  log "measuring ${seconds} s"
  timeout "$seconds" mosquitto_sub -p "$mqtt_port" -t 'irrigation/+/telemetry' -q 1 >"$dir/telemetry.out" || true
  local t1 gw1 sim1
  t1=$(date +%s.%N); gw1=$(cpu_ticks "$gw_pid"); sim1=$(cpu_ticks "$sim_pid")
  # Poll rate from the gateway's own counter: first and last stats line (10 s apart each) in the window.
  local window; window=$(tail -n +"$((log_line0 + 1))" "$dir/gateway.log" | grep -o 'polls [0-9]*' | awk '{print $2}')
  local polls_rate; polls_rate=$(awk 'NR==1{f=$1} {l=$1; n=NR} END{ if (n>1) print (l-f)/(10*(n-1)); else print 0 }' <<<"$window")
  local messages; messages=$(wc -l <"$dir/telemetry.out")
  local elapsed; elapsed=$(calc "$t1 - $t0")
  local failures; failures=$(grep -o 'failed [0-9]*' "$dir/gateway.log" | tail -1 | awk '{print $2}')
  {
    echo "# Gateway benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
    echo
    echo "| measure | value |"
    echo "| --- | --- |"
    echo "| simulated stations (2 pumps, DTSU666 + controller, 3 Modbus requests per poll) | $stations |"
    echo "| poll interval | 1 s |"
    printf '| achieved polls/s (gateway counter) | %.0f |\n' "$polls_rate"
    echo "| failed polls (total) | ${failures:-0} |"
    printf '| telemetry published, msg/s (counted by mosquitto_sub) | %.0f |\n' "$(calc "$messages / $elapsed")"
    printf '| gateway CPU, cores | %.2f |\n' "$(calc "($gw1 - $gw0) / $hz / $elapsed")"
    echo "| gateway peak RSS | $(peak_rss_mb "$gw_pid") MB |"
    printf '| firmware-sim CPU, cores | %.2f |\n' "$(calc "($sim1 - $sim0) / $hz / $elapsed")"
    echo "| firmware-sim peak RSS | $(peak_rss_mb "$sim_pid") MB |"
  } | tee "bench-results/gateway-$stations.md"
}

case $what in
  gateway) bench_gateway "${2:-1000}" "${3:-60}" ;;
  *) echo "usage: ./bench.sh gateway [STATIONS] [SECONDS]"; exit 2 ;;
esac
