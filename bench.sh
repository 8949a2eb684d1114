#!/usr/bin/env bash
# Benchmarks, each printing a table and writing it to bench-results/.
#   ./bench.sh gateway [STATIONS=1000] [SECONDS=60]   one gateway polling N simulated stations at 1 Hz
#   ./bench.sh ingest [STATIONS=200] [RATE=50] [SECONDS=60]
#                                    MQTT → server → InfluxDB at STATIONS × RATE msg/s, its maximum, latency at half
#                                    of that, and the influxd-alone and mosquitto-alone ceilings (docs/benchmarks.md)
#   ./bench.sh ingest quick [STATIONS=200] [RATE=50] [SECONDS=20]   the same, shorter (about 3 minutes)
#   The maximum (b) is the drain of a backlog of BACKLOG messages (default 1,000,000; 300,000 quick) published while
#   the server is stopped: BACKLOG=2000000 ./bench.sh ingest
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

calc() { awk -v OFMT=%.6f "BEGIN { print $1 }"; }
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

# ---- ingest: firmware-sim mqtt-load → mosquitto → irrigation-server → influxd, against each one's ceiling ----------
INGEST_MQTT_PORT=18893
INGEST_INFLUX_PORT=18086
INGEST_SERVER_PORT=18080
INGEST_DB=irrigation_bench
BENCH_BIN=benchmarks/Irrigation.Benchmarks/bin/Release/net10.0/Irrigation.Benchmarks
SIM_BIN=firmware-sim/Irrigation.FirmwareSim/bin/Release/net10.0/firmware-sim
SERVER_BIN=src/Irrigation.Server/bin/Release/net10.0/irrigation-server

now() { date +%s.%N; }
# A counter from the server's /metrics (0 when absent).
metric() { curl -s --max-time 5 "http://127.0.0.1:$INGEST_SERVER_PORT/metrics" | awk -v n="$1" '{ sub(/\{\}$/, "", $1) } $1 == n { v = $2 } END { print v + 0 }'; }
# key=value from a probe's result line.
field() { grep -o "$2=[^ ]*" "$1" | tail -1 | cut -d= -f2; }
# Points of stations whose id starts with $1, counted by influxd.
influx_count() {
  curl -sG --max-time 60 "http://127.0.0.1:$INGEST_INFLUX_PORT/query" --data-urlencode "db=$INGEST_DB" \
    --data-urlencode "q=SELECT count(seq) FROM station WHERE station =~ /^$1/" |
    sed -n 's/.*"values":\[\[[^,]*,\([0-9]*\)\]\].*/\1/p'
}
# Waits (bounded) until a background process started here exits; returns its exit status.
wait_exit() { # pid seconds name
  local deadline=$((SECONDS + $2))
  while kill -0 "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || { log "$3 still running after $2 s; stopping it"; kill "$1"; break; }
    sleep 0.2
  done
  wait "$1"
}
# Waits until the server has stored $1 messages in total, or made no progress for 30 s, or $2 s passed.
wait_stored() { # total seconds
  local deadline=$((SECONDS + $2)) last=-1 still=$SECONDS stored
  while :; do
    stored=$(metric irrigation_ingest_stored_total)
    ((stored >= $1)) && return 0
    ((stored != last)) && { last=$stored; still=$SECONDS; }
    if ((SECONDS - still > 30 || SECONDS > deadline)); then
      log "server stored $stored of $1 messages; giving up waiting"
      return 0
    fi
    sleep 0.5
  done
}

start_ingest_services() { # dir
  local dir=$1
  for port in "$INGEST_MQTT_PORT" "$INGEST_INFLUX_PORT" "$((INGEST_INFLUX_PORT + 2))" "$INGEST_SERVER_PORT"; do
    if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then log "port $port is already in use"; exit 1; fi
  done
  # mosquitto with the project's no-loss settings, as run.sh starts it.
  mkdir -p "$dir/mosquitto"
  cp config/mosquitto.conf "$dir/mosquitto/mosquitto.conf"
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence_location %s/\nuser %s\n' "$INGEST_MQTT_PORT" "$PWD/$dir/mosquitto" "$(id -un)" >>"$dir/mosquitto/mosquitto.conf"
  start_bg mosquitto "$dir/mosquitto.log" /usr/sbin/mosquitto -c "$dir/mosquitto/mosquitto.conf"
  MOSQUITTO_PID=${STARTED_PIDS[-1]}
  wait_port "$INGEST_MQTT_PORT" 20 mosquitto
  # influxd bound to loopback, data in the run directory, no usage reporting, no HTTP access log, no ifql listener.
  mkdir -p "$dir/influxd"
  cat >"$dir/influxd/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$((INGEST_INFLUX_PORT + 2))"
[meta]
  dir = "$PWD/$dir/influxd/meta"
  logging-enabled = false
[data]
  dir = "$PWD/$dir/influxd/data"
  wal-dir = "$PWD/$dir/influxd/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$INGEST_INFLUX_PORT"
  log-enabled = false
[ifql]
  enabled = false
[logging]
  level = "warn"
  suppress-logo = true
CONF
  start_bg influxd "$dir/influxd.log" influxd -config "$dir/influxd/influxdb.conf"
  INFLUXD_PID=${STARTED_PIDS[-1]}
  local deadline=$((SECONDS + 60))
  until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$INGEST_INFLUX_PORT/ping") == 204 ]]; do
    ((SECONDS < deadline)) || { log "influxd did not answer /ping within 60 s"; exit 1; }
    sleep 0.2
  done
}

start_ingest_server() { # dir
  local dir=$1
  start_bg server "$dir/server.log" env \
    Irrigation__Mqtt__Port="$INGEST_MQTT_PORT" Irrigation__Mqtt__ClientId=irrigation-bench-server \
    Irrigation__Influx__Url="http://127.0.0.1:$INGEST_INFLUX_PORT" Irrigation__Influx__Database="$INGEST_DB" \
    Irrigation__DataDirectory="$PWD/$dir/server-data" \
    "$SERVER_BIN" --urls "http://127.0.0.1:$INGEST_SERVER_PORT"
  SERVER_PID=${STARTED_PIDS[-1]}
  local deadline=$((SECONDS + 60))
  until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$INGEST_SERVER_PORT/health/ready") == 200 ]]; do
    ((SECONDS < deadline)) || { log "server not ready within 60 s (see $dir/server.log)"; exit 1; }
    sleep 0.2
  done
  # The schema (database, retention policies, continuous queries) exists once the database is listed.
  deadline=$((SECONDS + 30))
  until curl -sG "http://127.0.0.1:$INGEST_INFLUX_PORT/query" --data-urlencode "q=SHOW DATABASES" | grep -q "\"$INGEST_DB\""; do
    ((SECONDS < deadline)) || { log "server did not create database $INGEST_DB within 30 s"; exit 1; }
    sleep 0.2
  done
}

# One load run: firmware-sim mqtt-load at STATIONS × RATE for SECONDS with station ids PREFIX*, CPU of every process
# and the server's stored rate over the steady window (after a warm-up, until the generator ends), latency sampled
# from influxd meanwhile, then drained and counted in InfluxDB. Results go to $dir/PREFIX.vars as shell assignments.
ingest_run() { # dir prefix stations rate seconds publishers
  local dir=$1 prefix=$2 stations=$3 rate=$4 seconds=$5 publishers=$6
  local warmup=$(( seconds / 6 < 5 ? 5 : seconds / 6 ))
  local hz; hz=$(getconf CLK_TCK)
  local stored_before; stored_before=$(metric irrigation_ingest_stored_total)
  log "run $prefix: $stations stations × $rate msg/s for $seconds s"
  start_bg mqtt-load "$dir/$prefix-load.log" "$SIM_BIN" mqtt-load --broker "127.0.0.1:$INGEST_MQTT_PORT" \
    --stations "$stations" --rate "$rate" --values 15 --duration-s "$seconds" --publishers "$publishers" \
    --id-prefix "$prefix" --summary "$dir/$prefix-summary.json"
  local gen_pid=${STARTED_PIDS[-1]} t_start; t_start=$(now)
  sleep "$warmup"
  local t0 s0 m0 i0 g0 stored0
  t0=$(now); s0=$(cpu_ticks "$SERVER_PID"); m0=$(cpu_ticks "$MOSQUITTO_PID"); i0=$(cpu_ticks "$INFLUXD_PID")
  g0=$(cpu_ticks "$gen_pid" 2>/dev/null || echo 0); stored0=$(metric irrigation_ingest_stored_total)
  start_bg freshness "$dir/$prefix-freshness.log" "$BENCH_BIN" freshness --url "http://127.0.0.1:$INGEST_INFLUX_PORT/" \
    --db "$INGEST_DB" --seconds "$((seconds - warmup))" --interval-ms 200 --station-prefix "$prefix" --samples "$dir/$prefix-latency.txt"
  local probe_pid=${STARTED_PIDS[-1]}
  # The generator's CPU is read just before it exits (its /proc entry goes with it): poll until it is done.
  local g1=$g0 deadline=$((SECONDS + seconds * 4 + 120))
  while kill -0 "$gen_pid" 2>/dev/null && ((SECONDS < deadline)); do
    g1=$(cpu_ticks "$gen_pid" 2>/dev/null || echo "$g1")
    sleep 0.5
  done
  wait_exit "$gen_pid" 10 mqtt-load || { log "mqtt-load failed (see $dir/$prefix-load.log)"; exit 1; }
  local t1 s1 m1 i1 stored1
  t1=$(now); s1=$(cpu_ticks "$SERVER_PID"); m1=$(cpu_ticks "$MOSQUITTO_PID"); i1=$(cpu_ticks "$INFLUXD_PID")
  stored1=$(metric irrigation_ingest_stored_total)
  wait_exit "$probe_pid" "$((seconds + 30))" freshness || log "freshness probe found no sample (see $dir/$prefix-freshness.log)"
  local published; published=$(grep -o '"Published":[0-9]*' "$dir/$prefix-summary.json" | cut -d: -f2)
  local offered; offered=$(grep -o '"MessagesPerSecond":[0-9.]*' "$dir/$prefix-summary.json" | cut -d: -f2)
  log "run $prefix: published $published; waiting for the server to store them"
  wait_stored "$((stored_before + published))" 900
  local t_drained stored_end s2 m2 i2; t_drained=$(now); stored_end=$(metric irrigation_ingest_stored_total)
  s2=$(cpu_ticks "$SERVER_PID"); m2=$(cpu_ticks "$MOSQUITTO_PID"); i2=$(cpu_ticks "$INFLUXD_PID")
  sleep 1 # let influxd make the last write queryable
  local counted; counted=$(influx_count "$prefix"); counted=${counted:-0}
  local window; window=$(calc "$t1 - $t0")
  local drain; drain=$(calc "$t_drained - $t1")
  {
    echo "published=$published"
    echo "offered=$offered"
    echo "counted=$counted"
    echo "lost=$((published - counted))"
    echo "window_s=$window"
    echo "window_rate=$(calc "($stored1 - $stored0) / $window")"
    echo "drain_s=$drain"
    echo "drain_rate=$(calc "($drain >= 5 ? ($stored_end - $stored1) / $drain : 0)")"
    echo "overall_rate=$(calc "($stored_end - $stored_before) / ($t_drained - $t_start)")"
    echo "server_cores=$(calc "($s1 - $s0) / $hz / $window")"
    echo "mosquitto_cores=$(calc "($m1 - $m0) / $hz / $window")"
    echo "influxd_cores=$(calc "($i1 - $i0) / $hz / $window")"
    echo "generator_cores=$(calc "($g1 - $g0) / $hz / $window")"
    echo "drain_server_cores=$(calc "($drain >= 5 ? ($s2 - $s1) / $hz / $drain : 0)")"
    echo "drain_mosquitto_cores=$(calc "($drain >= 5 ? ($m2 - $m1) / $hz / $drain : 0)")"
    echo "drain_influxd_cores=$(calc "($drain >= 5 ? ($i2 - $i1) / $hz / $drain : 0)")"
    echo "server_rss_mb=$(peak_rss_mb "$SERVER_PID")"
    echo "latency_samples=$(field "$dir/$prefix-freshness.log" samples)"
    echo "latency_p50_ms=$(field "$dir/$prefix-freshness.log" p50_ms)"
    echo "latency_p99_ms=$(field "$dir/$prefix-freshness.log" p99_ms)"
    echo "latency_max_ms=$(field "$dir/$prefix-freshness.log" max_ms)"
  } >"$dir/$prefix.vars"
  log "run $prefix: $(tr '\n' ' ' <"$dir/$prefix.vars")"
}

# The maximum, measured honestly: the server is stopped, MESSAGES are published into its persistent session (mosquitto
# holds them), then the server is started and the time from its first stored message to the last is the drain. Only
# broker, server and influxd run meanwhile, so the load generator's speed does not enter the figure.
drain_run() { # dir prefix stations messages
  local dir=$1 prefix=$2 stations=$3 messages=$4 hz; hz=$(getconf CLK_TCK)
  local rss_before; rss_before=$(peak_rss_mb "$SERVER_PID")
  log "run $prefix: stopping the server; publishing $messages messages into its persistent session"
  kill -TERM "$SERVER_PID"
  wait_exit "$SERVER_PID" 60 server || log "server exited non-zero on SIGTERM (see $dir/server.log)"
  local seconds=10 rate; rate=$(calc "$messages / ($stations * 10)")
  "$SIM_BIN" mqtt-load --broker "127.0.0.1:$INGEST_MQTT_PORT" --stations "$stations" --rate "$rate" --values 15 \
    --duration-s "$seconds" --publishers 4 --id-prefix "$prefix" --summary "$dir/$prefix-summary.json" >"$dir/$prefix-load.log" 2>&1 ||
    { log "mqtt-load failed (see $dir/$prefix-load.log)"; exit 1; }
  local published; published=$(grep -o '"Published":[0-9]*' "$dir/$prefix-summary.json" | cut -d: -f2)
  local filled; filled=$(grep -o '"MessagesPerSecond":[0-9.]*' "$dir/$prefix-summary.json" | cut -d: -f2)
  log "run $prefix: mosquitto holds $published messages (published at $filled msg/s); starting the server"
  mv "$dir/server.log" "$dir/server-before-$prefix.log"
  start_ingest_server "$dir"
  local t0 s0 m0 i0 deadline=$((SECONDS + 60))
  until (( $(metric irrigation_ingest_stored_total) > 0 )); do
    ((SECONDS < deadline)) || { log "the server stored nothing within 60 s (see $dir/server.log)"; exit 1; }
    sleep 0.1
  done
  t0=$(now); s0=$(cpu_ticks "$SERVER_PID"); m0=$(cpu_ticks "$MOSQUITTO_PID"); i0=$(cpu_ticks "$INFLUXD_PID")
  wait_stored "$published" 1800
  local t1 s1 m1 i1 stored; t1=$(now); s1=$(cpu_ticks "$SERVER_PID"); m1=$(cpu_ticks "$MOSQUITTO_PID"); i1=$(cpu_ticks "$INFLUXD_PID")
  stored=$(metric irrigation_ingest_stored_total)
  sleep 1 # let influxd make the last write queryable
  local counted; counted=$(influx_count "$prefix"); counted=${counted:-0}
  local drain; drain=$(calc "$t1 - $t0")
  local rss_after; rss_after=$(peak_rss_mb "$SERVER_PID")
  {
    echo "published=$published"
    echo "offered=$filled"
    echo "counted=$counted"
    echo "lost=$((published - counted))"
    echo "drain_s=$drain"
    echo "drain_rate=$(calc "$stored / $drain")"
    echo "window_rate=0"
    echo "drain_server_cores=$(calc "($s1 - $s0) / $hz / $drain")"
    echo "drain_mosquitto_cores=$(calc "($m1 - $m0) / $hz / $drain")"
    echo "drain_influxd_cores=$(calc "($i1 - $i0) / $hz / $drain")"
    echo "server_rss_mb=$(( rss_after > rss_before ? rss_after : rss_before ))"
    echo "drain_server_rss_mb=$rss_after"
  } >"$dir/$prefix.vars"
  log "run $prefix: $(tr '\n' ' ' <"$dir/$prefix.vars")"
}

bench_ingest() {
  local quick=0
  if [[ ${1:-} == quick ]]; then quick=1; shift; fi
  local stations=${1:-200} rate=${2:-50} seconds=${3:-60}
  ((quick)) && seconds=${3:-20}
  local target=$((stations * rate)) max_seconds=$((seconds / 2 < 10 ? 10 : seconds / 2))
  local dir=.run/bench/ingest
  rm -rf "$dir" && mkdir -p "$dir"
  build_release benchmarks/Irrigation.Benchmarks firmware-sim/Irrigation.FirmwareSim src/Irrigation.Server

  # ---- decode → encode per message (BenchmarkDotNet, in-process, short job), on a quiet machine --------------------
  log "BenchmarkDotNet: TelemetryDecoder.Decode (short job)"
  (cd "$dir" && "$OLDPWD/$BENCH_BIN" --filter '*DecodeBenchmarks*' --job short --exporters github >bdn.log 2>&1) ||
    { log "BenchmarkDotNet failed (see $dir/bdn.log)"; exit 1; }
  local bdn; bdn=$(ls "$dir"/BenchmarkDotNet.Artifacts/results/*DecodeBenchmarks-report-github.md)
  # | Method | Mean | ... | Allocated | ...: the Mean and Allocated cells of a benchmark's row ('-' allocated = 0 B).
  bdn_cell() { awk -F'|' -v m="$1" -v c="$2" '
    NR == 1 || /^\| *Method/ { for (i = 2; i < NF; i++) { h = $i; gsub(/^ +| +$/, "", h); col[h] = i } }
    { name = $2; gsub(/^ +| +$/, "", name) } name == m { v = $col[c]; gsub(/^ +| +$/, "", v); print v }' "$bdn"; }
  local d15_mean d15_alloc d36_mean d36_alloc
  d15_mean=$(bdn_cell Decode15Values Mean); d15_alloc=$(bdn_cell Decode15Values Allocated)
  d36_mean=$(bdn_cell DecodePumpStationSnapshot Mean); d36_alloc=$(bdn_cell DecodePumpStationSnapshot Allocated)
  [[ $d15_alloc == - ]] && d15_alloc="0 B"
  [[ $d36_alloc == - ]] && d36_alloc="0 B"

  start_ingest_services "$dir"

  # ---- ceilings: influxd alone, mosquitto alone (nothing else running) ----------------------------------------------
  local ceiling_points=$((target * seconds)) mqtt_messages=$((quick ? 100000 : 300000))
  ((ceiling_points > 600000)) && ceiling_points=600000
  ((ceiling_points < 100000)) && ceiling_points=100000
  log "influxd alone: $ceiling_points points, batches of 5000, gzip, one writer"
  "$BENCH_BIN" influx-ceiling --url "http://127.0.0.1:$INGEST_INFLUX_PORT/" --db ceiling --stations "$stations" \
    --points "$ceiling_points" --batch 5000 --gzip true --writers 1 --influxd-pid "$INFLUXD_PID" | tee "$dir/influx-ceiling.log"
  log "mosquitto alone: $mqtt_messages messages, QoS 1, 2 publishers → 1 subscriber"
  "$BENCH_BIN" mqtt-ceiling --broker "127.0.0.1:$INGEST_MQTT_PORT" --messages "$mqtt_messages" --publishers 2 \
    --stations "$stations" --values 15 | tee "$dir/mqtt-ceiling.log"
  local influx_ceiling mqtt_ceiling
  influx_ceiling=$(field "$dir/influx-ceiling.log" points_per_s)
  mqtt_ceiling=$(field "$dir/mqtt-ceiling.log" messages_per_s)

  start_ingest_server "$dir"

  # ---- warm-up: the server's JIT (tiered compilation, PGO) settles under load before anything is measured ----------
  local warmup_seconds=$((quick ? 10 : 30))
  log "warm-up: $stations stations × $rate msg/s for $warmup_seconds s (not measured)"
  "$SIM_BIN" mqtt-load --broker "127.0.0.1:$INGEST_MQTT_PORT" --stations "$stations" --rate "$rate" --values 15 \
    --duration-s "$warmup_seconds" --publishers 2 --id-prefix rw --summary "$dir/rw-summary.json" >"$dir/rw-load.log" 2>&1 ||
    { log "mqtt-load failed (see $dir/rw-load.log)"; exit 1; }
  wait_stored "$(grep -o '"Published":[0-9]*' "$dir/rw-summary.json" | cut -d: -f2)" 300
  # ---- (a) the target rate: CPU, memory, loss ---------------------------------------------------------------------
  ingest_run "$dir" ra "$stations" "$rate" "$seconds" 2
  # ---- (b) the maximum: the drain of a pre-filled backlog (BACKLOG messages, default 1,000,000; 300,000 when quick) --
  drain_run "$dir" rb "$stations" "${BACKLOG:-$((quick ? 300000 : 1000000))}"
  # ---- (c) latency at half the maximum ------------------------------------------------------------------------------
  local sustained; sustained=$(awk -F= '$1 == "drain_rate" { print $2 }' "$dir/rb.vars")
  local half_rate; half_rate=$(calc "$sustained / 2 / $stations")
  ingest_run "$dir" rc "$stations" "$half_rate" "$max_seconds" 2

  # ---- report -------------------------------------------------------------------------------------------------------
  v() { awk -F= -v k="$2" '$1 == k { print $2 }' "$dir/$1.vars"; }
  rate_or_dash() { if awk "BEGIN { exit !($1 > 0) }"; then printf '%.0f' "$1"; else echo "– (kept up)"; fi; }
  pass() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }
  local fields=18 lost_total=$(( $(v ra lost) + $(v rb lost) + $(v rc lost) ))
  local ratio; ratio=$(calc "$sustained / $influx_ceiling")
  local cores_at_10k; cores_at_10k=$(calc "$(v ra server_cores) * 10000 / $(v ra window_rate)")
  local rss_peak; rss_peak=$(peak_rss_mb "$SERVER_PID"); rss_peak=$(( rss_peak > $(v rb server_rss_mb) ? rss_peak : $(v rb server_rss_mb) ))
  local p99_half; p99_half=$(v rc latency_p99_ms)
  local out="bench-results/ingest$( ((quick)) && echo -quick).md"
  {
    echo "# Ingest benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores$( ((quick)) && echo ', quick mode')"
    echo
    echo "firmware-sim mqtt-load (15 values = 18 fields per message, QoS 1) → mosquitto $(/usr/sbin/mosquitto -h 2>/dev/null | awk 'NR==1 {print $3}') → irrigation-server → influxd $(influxd version 2>/dev/null | awk '{print $2}'), all on 127.0.0.1."
    echo "Every figure comes from this one run; the load generator, broker, server and influxd share the machine's cores."
    echo "A ${warmup_seconds} s warm-up at the target rate precedes (a); each run measures after its own warm-up of a sixth of its length (at least 5 s)."
    echo
    echo "| measure | (a) target rate | (b) maximum | (c) half of maximum |"
    echo "| --- | --- | --- | --- |"
    printf '| offered by the generator, msg/s | %.0f | %.0f | %.0f |\n' "$(v ra offered)" "$(v rb offered)" "$(v rc offered)"
    printf '| stored by the server while the generator ran (after warm-up), msg/s | %.0f | – (server stopped) | %.0f |\n' "$(v ra window_rate)" "$(v rc window_rate)"
    printf '| … fields/s | %.0f | – | %.0f |\n' "$(calc "$(v ra window_rate) * $fields")" "$(calc "$(v rc window_rate) * $fields")"
    printf '| backlog stored after the generator stopped (broker + server + influxd only; b: %s messages published with the server stopped, then drained), msg/s | %s | **%s** | %s |\n' "$(v rb published)" \
      "$(rate_or_dash "$(v ra drain_rate)")" "$(rate_or_dash "$(v rb drain_rate)")" "$(rate_or_dash "$(v rc drain_rate)")"
    printf '| … fields/s | %s | %s | %s |\n' \
      "$(rate_or_dash "$(calc "$(v ra drain_rate) * $fields")")" "$(rate_or_dash "$(calc "$(v rb drain_rate) * $fields")")" "$(rate_or_dash "$(calc "$(v rc drain_rate) * $fields")")"
    printf '| time to store the backlog (b: first to last message stored), s | %.1f | %.1f | %.1f |\n' "$(v ra drain_s)" "$(v rb drain_s)" "$(v rc drain_s)"
    printf '| … server / mosquitto / influxd CPU meanwhile, cores | %s | %.2f / %.2f / %.2f | %s |\n' "–" \
      "$(v rb drain_server_cores)" "$(v rb drain_mosquitto_cores)" "$(v rb drain_influxd_cores)" "–"
    printf '| published / counted in InfluxDB / lost | %s / %s / %s | %s / %s / %s | %s / %s / %s |\n' \
      "$(v ra published)" "$(v ra counted)" "$(v ra lost)" "$(v rb published)" "$(v rb counted)" "$(v rb lost)" "$(v rc published)" "$(v rc counted)" "$(v rc lost)"
    printf '| latency ts → queryable p50 / p99 / max, ms | %s / %s / %s | – | %s / %s / %s |\n' \
      "$(v ra latency_p50_ms)" "$(v ra latency_p99_ms)" "$(v ra latency_max_ms)" \
      "$(v rc latency_p50_ms)" "$(v rc latency_p99_ms)" "$(v rc latency_max_ms)"
    printf '| server CPU while the generator ran, cores | %.3f | – | %.3f |\n' "$(v ra server_cores)" "$(v rc server_cores)"
    printf '| … mosquitto / influxd / generator CPU meanwhile, cores | %.2f / %.2f / %.2f | – | %.2f / %.2f / %.2f |\n' \
      "$(v ra mosquitto_cores)" "$(v ra influxd_cores)" "$(v ra generator_cores)" \
      "$(v rc mosquitto_cores)" "$(v rc influxd_cores)" "$(v rc generator_cores)"
    echo "| server peak RSS (VmHWM) at the end of the run, MB | $(v ra server_rss_mb) | $(v rb server_rss_mb) | $(v rc server_rss_mb) |"
    echo
    echo "| ceiling (same machine, same run, nothing else loaded) | value |"
    echo "| --- | --- |"
    printf '| influxd alone: %s points (15 values) over %s series, 5000 per POST, gzip, one writer | %.0f points/s |\n' "$(field "$dir/influx-ceiling.log" points)" "$stations" "$influx_ceiling"
    printf '| … influxd / writer CPU meanwhile, cores | %s / %s |\n' "$(field "$dir/influx-ceiling.log" influxd_cores)" "$(field "$dir/influx-ceiling.log" writer_cores)"
    printf '| mosquitto alone: QoS 1, %s-byte payloads, 2 publishers → 1 subscriber | %.0f msg/s |\n' "$(field "$dir/mqtt-ceiling.log" payload_bytes)" "$mqtt_ceiling"
    printf '| **ingest (b, backlog) as a ratio of the influxd ceiling** | **%.2f** |\n' "$ratio"
    printf '| … the backlog was published at (generator with the server stopped) | %.0f msg/s |\n' "$(v rb offered)"
    printf '| ingest (b, backlog) as a ratio of the mosquitto ceiling | %.2f |\n' "$(calc "$sustained / $mqtt_ceiling")"
    echo
    echo "| decode → encode per message (BenchmarkDotNet, short job) | time | allocated |"
    echo "| --- | --- | --- |"
    echo "| 15 values → 1 point, 18 fields | $d15_mean | $d15_alloc |"
    echo "| 2-pump snapshot, 36 values → 3 points, 39 fields | $d36_mean | $d36_alloc |"
    echo
    echo "| target | measured | |"
    echo "| --- | --- | --- |"
    printf '| ingest ≥ 80%% of the influxd-alone ceiling with zero loss | %.0f%%, %s lost | %s |\n' "$(calc "$ratio * 100")" "$lost_total" "$(pass "$ratio >= 0.8 && $lost_total == 0")"
    printf '| server ≤ 0.25 core at 10,000 msg/s of 15-value telemetry | %.3f core (%s) | %s |\n' "$cores_at_10k" \
      "$(awk "BEGIN { r = $(v ra window_rate); if (r > 9500 && r < 10500) printf \"at %.0f msg/s\", r; else printf \"scaled linearly from %.0f msg/s: run at 10,000\", r }")" \
      "$(pass "$cores_at_10k <= 0.25")"
    printf '| server ≤ 300 MB RSS | %s MB | %s |\n' "$rss_peak" "$(pass "$rss_peak <= 300")"
    printf '| p99 ≤ 2 s at half the maximum rate (c: %.0f msg/s offered) | %s ms | %s |\n' "$(v rc offered)" "$p99_half" "$(pass "${p99_half:--1} >= 0 && ${p99_half:--1} <= 2000")"
    printf '| 0 B allocated per message in steady-state decode + encode | %s, %s | %s |\n' "$d15_alloc" "$d36_alloc" "$(pass "\"$d15_alloc\" == \"0 B\" && \"$d36_alloc\" == \"0 B\"")"
    echo
    echo "Load $(uptime | sed 's/.*load average: //') (1/5/15 min) when the report was written. Logs: $dir/."
  } | tee "$out"
}

case $what in
  gateway) bench_gateway "${2:-1000}" "${3:-60}" ;;
  ingest) shift; bench_ingest "$@" ;;
  *) echo "usage: ./bench.sh gateway [STATIONS] [SECONDS] | ingest [quick] [STATIONS] [RATE] [SECONDS]"; exit 2 ;;
esac
