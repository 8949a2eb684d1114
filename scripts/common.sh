#!/usr/bin/env bash
# Shared by run.sh and test.sh: install missing system packages, track and stop background processes.

# Debian packages the system and its tests use; each line: a command or probe that proves it present, then the package.
# node/npm build the phone web app; chromium (with a CJK font for readable screenshots) runs its browser tests.
# PostgreSQL (Debian 12's 15; the server's shared database when several instances run) for the tests that run every
# store on both engines; they start their own throw-away cluster, never the one the package sets up.
# nats-server and haproxy: the three-node broker cluster and the front door the scale-out tests start (and ./run.sh cluster).
# The server embeds a CJK TrueType font (AR PL SungtiL GB) in PDF reports; the tests read those PDFs with pdftotext.
REQUIRED_PACKAGES=(
  "mosquitto:mosquitto"
  "mosquitto_pub:mosquitto-clients"
  "influxd:influxdb"
  "influx:influxdb-client"
  "victoria-metrics:victoria-metrics"
  "mbpoll:mbpoll"
  "py:pymodbus:python3-pymodbus"
  "py:paho.mqtt.client:python3-paho-mqtt"
  "node:nodejs"
  "npm:npm"
  "chromium:chromium"
  "file:/usr/share/fonts/truetype/wqy/wqy-microhei.ttc:fonts-wqy-microhei"
  "file:/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf:fonts-arphic-gbsn00lp"
  "pdftotext:poppler-utils"
  "file:/usr/lib/postgresql/15/bin/postgres:postgresql"
  "nats-server:nats-server"
  "haproxy:haproxy"
)

log() { printf '\033[1m[%s]\033[0m %s\n' "$(basename "$0")" "$*"; }

# Installs only what is missing; apt-get update runs once, and only if something is missing.
ensure_packages() {
  local missing=() entry probe pkg
  for entry in "${REQUIRED_PACKAGES[@]}"; do
    pkg=${entry##*:}
    probe=${entry%:*}
    if [[ $probe == py:* ]]; then
      /usr/bin/python3 -c "import ${probe#py:}" 2>/dev/null || missing+=("$pkg")
    elif [[ $probe == file:* ]]; then
      [[ -e ${probe#file:} ]] || missing+=("$pkg")
    else
      command -v "$probe" >/dev/null 2>&1 || [[ -x /usr/sbin/$probe ]] || missing+=("$pkg")
    fi
  done
  if ((${#missing[@]})); then
    log "installing missing packages: ${missing[*]}"
    local sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  command -v dotnet >/dev/null 2>&1 || { log "the .NET 10 SDK is required (dotnet not on PATH)"; exit 1; }
}

# Builds the phone web app (src/Irrigation.Web) into the server's wwwroot; run before building the server, which
# serves those files. npm ci only when node_modules is missing or package-lock.json changed since the last install.
build_web() {
  local web=src/Irrigation.Web out
  if [[ ! -f $web/node_modules/.package-lock.json || $web/package-lock.json -nt $web/node_modules/.package-lock.json ]]; then
    log "installing the web app's npm packages (npm ci)"
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error) || { log "npm ci failed in $web"; exit 1; }
  fi
  log "building the web app"
  if ! out=$(cd "$web" && npm run --silent build 2>&1 && node scripts/size.mjs 2>&1); then
    printf '%s\n' "$out"
    log "the web app build failed"
    exit 1
  fi
  log "$(tail -1 <<<"$out")"
}

# Background processes started by this script, stopped on exit (also on Ctrl-C).
STARTED_PIDS=()
start_bg() { # name logfile command...
  local name=$1 logfile=$2
  shift 2
  "$@" >"$logfile" 2>&1 &
  STARTED_PIDS+=($!)
  log "started $name (pid $!, log $logfile)"
}
# Like start_bg, but the process is started again when it exits (a crash, kill -9, or a stop by hand), so one
# part can be stopped or crashed without ending the whole run. While the file $RUN/<name>.hold exists it stays
# stopped; its current pid is in $RUN/<name>.pid. Output is appended to the log across restarts.
supervise() { # name logfile command...
  local name=$1 logfile=$2
  shift 2
  rm -f "$RUN/$name.hold" "$RUN/$name.pid"
  : >"$logfile"
  (
    child=""
    trap '[[ -n $child ]] && kill "$child" 2>/dev/null; [[ -n $child ]] && wait "$child" 2>/dev/null; rm -f "$RUN/$name.pid"; exit 0' TERM
    while true; do
      if [[ -e $RUN/$name.hold ]]; then
        log "$name held stopped until $RUN/$name.hold is removed"
        while [[ -e $RUN/$name.hold ]]; do sleep 0.5; done
      fi
      "$@" >>"$logfile" 2>&1 &
      child=$!
      echo "$child" >"$RUN/$name.pid"
      code=0
      wait "$child" || code=$?
      child=""
      rm -f "$RUN/$name.pid"
      log "$name exited (code $code); run.sh starts it again"
      sleep 2
    done
  ) &
  STARTED_PIDS+=($!)
  log "started $name under supervision (pid file $RUN/$name.pid, log $logfile)"
}
stop_all() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  STARTED_PIDS=()
}
trap 'stop_all' EXIT
trap 'exit 130' INT TERM

# Waits until a TCP port answers on 127.0.0.1, or fails after the given seconds.
wait_port() { # port seconds name
  local deadline=$((SECONDS + $2))
  until (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    ((SECONDS < deadline)) || { log "$3 did not open port $1 within $2 s"; return 1; }
    sleep 0.2
  done
}

# Writes an influxd 1.x configuration: loopback only, no usage reporting, data under DIR (absolute).
write_influx_config() { # file dir http_port rpc_port
  cat >"$1" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$4"
[meta]
  dir = "$2/meta"
[data]
  dir = "$2/data"
  wal-dir = "$2/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$3"
  log-enabled = false
[logging]
  level = "warn"
[ifql]
  enabled = false
CONF
}

# Starts firmware-sim with STATIONS simulated stations and waits until it wrote the gateway configuration for them.
start_simulator() { # run_dir stations modbus_base_port control_port gateway_mqtt
  rm -f "$1/gateway.json"
  start_bg firmware-sim "$1/logs/firmware-sim.log" \
    firmware-sim/Irrigation.FirmwareSim/bin/Release/net10.0/firmware-sim \
    --stations "$2" --pumps 0 --base-port "$3" --control-port "$4" \
    --emit-gateway-config "$1/gateway.json" --gateway-mqtt "$5" --gateway-data "$PWD/$1/gateway-data"
  wait_port "$4" 30 firmware-sim
  for _ in $(seq 50); do [[ -s $1/gateway.json ]] && break; sleep 0.2; done
}

# The command key the server signs every pump command with (docs/security.md): 256 random bits, made once and kept in
# RUN_DIR/command-key, mode 600. Prints it.
command_key() { # run_dir
  if [[ ! -s $1/command-key ]]; then
    (umask 077 && /usr/bin/python3 -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())' >"$1/command-key")
  fi
  cat "$1/command-key"
}

# Broker account passwords (docs/security.md): random, made once and kept in RUN_DIR/mqtt-server-password and
# RUN_DIR/mqtt-gateway-password, mode 600; sets MQTT_SERVER_PASSWORD. The gateway's account is its id.
broker_passwords() { # run_dir
  for account in server gateway; do
    if [[ ! -s $1/mqtt-$account-password ]]; then
      (umask 077 && /usr/bin/python3 -c 'import secrets; print(secrets.token_urlsafe(18))' >"$1/mqtt-$account-password")
    fi
  done
  MQTT_SERVER_PASSWORD=$(cat "$1/mqtt-server-password")
}

# Demo users (admin, operator, maintenance, viewer, each with the role of its name): random passwords made once and kept
# in RUN_DIR/credentials (never a built-in default). Fills user_env with the server's Irrigation__Auth__Users__* settings.
demo_users() { # run_dir
  if [[ ! -s $1/credentials ]]; then
    umask 077
    for user in admin operator maintenance viewer; do
      echo "$user $(/usr/bin/python3 -c 'import secrets; print(secrets.token_urlsafe(9))')"
    done >"$1/credentials"
    umask 022
  fi
  user_env=()
  local i=0 user password
  while read -r user password; do
    user_env+=("Irrigation__Auth__Users__${i}__Username=$user" "Irrigation__Auth__Users__${i}__Password=$password" "Irrigation__Auth__Users__${i}__Role=$user")
    i=$((i + 1))
  done <"$1/credentials"
}
