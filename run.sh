#!/usr/bin/env bash
# Runs the whole system on 127.0.0.1: installs missing packages, builds, starts every part, prints where to look.
# Ctrl-C stops everything it started. `./run.sh cluster` runs the clustered stack instead (scripts/cluster/run-cluster.sh).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/common.sh

case ${1:-} in
  "") ;;
  cluster)
    source scripts/cluster/run-cluster.sh
    exit 0
    ;;
  *)
    echo "usage: ./run.sh [cluster]" >&2
    exit 2
    ;;
esac

STATIONS=${STATIONS:-5}
MODBUS_BASE_PORT=${MODBUS_BASE_PORT:-5020}
SIM_CONTROL_PORT=${SIM_CONTROL_PORT:-8099}
MQTT_PORT=${MQTT_PORT:-1883}
INFLUX_PORT=${INFLUX_PORT:-8086}
SERVER_PORT=${SERVER_PORT:-8080}
WEBHOOK_PORT=${WEBHOOK_PORT:-8098}
RUN=.run

ensure_packages
mkdir -p "$RUN/logs" "$RUN/mosquitto" "$RUN/influxdb"

build_web # into the server's wwwroot, before the server is built
log "building (Release)"
for project in firmware-sim/Irrigation.FirmwareSim src/Irrigation.Gateway src/Irrigation.Server src/Irrigation.Commissioning; do
  dotnet build "$project" -c Release -nologo -v q
done

# ---- InfluxDB 1.x: loopback only, no usage reporting, data under .run/ ---------------------------------------------
write_influx_config "$RUN/influxdb/influxdb.conf" "$PWD/$RUN/influxdb" "$INFLUX_PORT" "$((INFLUX_PORT + 2))"
start_bg influxd "$RUN/logs/influxd.log" influxd -config "$RUN/influxdb/influxdb.conf"
wait_port "$INFLUX_PORT" 60 influxd

# ---- Simulated stations, and a gateway configuration that polls them --------------------------------------
start_simulator "$RUN" "$STATIONS" "$MODBUS_BASE_PORT" "$SIM_CONTROL_PORT" "127.0.0.1:$MQTT_PORT"

# ---- Command key: the server signs every pump command with it and the gateway acts on nothing else (docs/security.md).
COMMAND_KEY=$(command_key "$RUN")

# ---- Broker accounts: the server and the gateway log in, each may use only its own topics (docs/security.md). -------
# Random passwords made once and kept in .run/, mode 600; the gateway's account is its id.
broker_passwords "$RUN"
GATEWAY_ID=$(/usr/bin/python3 - "$RUN/gateway.json" "$COMMAND_KEY" "$(cat "$RUN/mqtt-gateway-password")" <<'PY'
import json, sys
path, key, password = sys.argv[1], sys.argv[2], sys.argv[3]
config = json.load(open(path))
config.setdefault("commands", {})["keys"] = [{"id": "k1", "secret": key}]
config["mqtt"].update(username=config.get("id", "gw-01"), password=password)
json.dump(config, open(path, "w"), indent=2)
print(config.get("id", "gw-01"))
PY
)
chmod 600 "$RUN/gateway.json" # it now holds the gateway's password and command key
# The password file and the ACL come from the gateway configuration, as for any deployment (docs/deployment.md).
MQTT_SERVER_PASSWORD=$MQTT_SERVER_PASSWORD scripts/mqtt-passwd.sh --output "$RUN/mosquitto/mosquitto.passwd" "$RUN/gateway.json"
src/Irrigation.Commissioning/bin/Release/net10.0/irrigation-probe mqtt-acl --output "$RUN/mosquitto/mosquitto.acl" "$RUN/gateway.json"

# ---- MQTT broker: the project's no-loss settings plus this run's listener, accounts, ACL and data directory --------
cp config/mosquitto.conf "$RUN/mosquitto/mosquitto.conf"
cat >>"$RUN/mosquitto/mosquitto.conf" <<CONF
listener $MQTT_PORT 127.0.0.1
allow_anonymous false
password_file $PWD/$RUN/mosquitto/mosquitto.passwd
acl_file $PWD/$RUN/mosquitto/mosquitto.acl
persistence_location $PWD/$RUN/mosquitto/
user $(id -un)
CONF
supervise mosquitto "$RUN/logs/mosquitto.log" /usr/sbin/mosquitto -c "$RUN/mosquitto/mosquitto.conf"
wait_port "$MQTT_PORT" 20 mosquitto

# ---- Gateway -------------------------------------------------------------------------------------------------
supervise gateway "$RUN/logs/gateway.log" src/Irrigation.Gateway/bin/Release/net10.0/irrigation-gateway --config "$RUN/gateway.json"

# ---- Demo users: random passwords made once and kept in .run/credentials (never a built-in default) -------------
demo_users "$RUN"

# ---- A local stand-in for the WeCom and DingTalk alarm robots -------------------------------------------------------
start_bg webhook-receiver "$RUN/logs/webhooks.log" /usr/bin/python3 -u scripts/webhook_receiver.py "$WEBHOOK_PORT"

# ---- Server: ingestion, latest state, API and web app, commands, alarms, accounting ----------------------------------
start_bg server "$RUN/logs/server.log" env \
  Irrigation__Mqtt__Port="$MQTT_PORT" Irrigation__Mqtt__Username=irrigation-server Irrigation__Mqtt__Password="$MQTT_SERVER_PASSWORD" \
  Irrigation__Influx__Url="http://127.0.0.1:$INFLUX_PORT" \
  Irrigation__DataDirectory="$PWD/$RUN/server-data" Irrigation__StationFiles__0="$PWD/$RUN/gateway.json" \
  "Irrigation__Commands__GatewayKeys__${GATEWAY_ID}__0__Id=k1" "Irrigation__Commands__GatewayKeys__${GATEWAY_ID}__0__Secret=$COMMAND_KEY" \
  Irrigation__Alarms__Webhooks__0__Url="http://127.0.0.1:$WEBHOOK_PORT/wecom?key=demo" Irrigation__Alarms__Webhooks__0__Format=wecom \
  Irrigation__Alarms__Webhooks__0__Events__0=raised Irrigation__Alarms__Webhooks__0__Events__1=acknowledged Irrigation__Alarms__Webhooks__0__Events__2=cleared \
  Irrigation__Alarms__Webhooks__1__Url="http://127.0.0.1:$WEBHOOK_PORT/dingtalk?access_token=demo" Irrigation__Alarms__Webhooks__1__Format=dingtalk \
  "${user_env[@]}" \
  src/Irrigation.Server/bin/Release/net10.0/irrigation-server --urls "http://127.0.0.1:$SERVER_PORT"
wait_port "$SERVER_PORT" 60 server

last_port=$((MODBUS_BASE_PORT + STATIONS - 1))
cat <<INFO

Irrigation stack is running on 127.0.0.1 (Ctrl-C stops it).

  Web app (phone)      http://127.0.0.1:$SERVER_PORT/      open it at phone size (360x740) in a browser
  Demo sign-in         $(tr '\n' ';' <"$RUN/credentials" | sed 's/;$//; s/;/   /g')   (user password; from $RUN/credentials)
  Server API           http://127.0.0.1:$SERVER_PORT/openapi/v1.json   /metrics   /health/ready   (docs/api.md)
  Alarm robots         $RUN/logs/webhooks.log   (WeCom and DingTalk messages the server sent)
  InfluxDB             http://127.0.0.1:$INFLUX_PORT   database "irrigation" (influx -port $INFLUX_PORT -database irrigation)
  MQTT broker          mqtt://127.0.0.1:$MQTT_PORT   (mosquitto, config $RUN/mosquitto/mosquitto.conf)
  Broker accounts      irrigation-server (password in $RUN/mqtt-server-password), $GATEWAY_ID ($RUN/mqtt-gateway-password); ACL $RUN/mosquitto/mosquitto.acl
  Gateway              polls $STATIONS stations every second, config $RUN/gateway.json, data $RUN/gateway-data/
  Simulated stations   Modbus TCP on ports $MODBUS_BASE_PORT..$last_port (meter unit 1, pump controller unit 2)
  Simulator control    http://127.0.0.1:$SIM_CONTROL_PORT/stations   (faults, mains, level, local start)
  Logs                 $RUN/logs/

Try:
  curl -s -XPOST -H 'Content-Type: application/json' -d '{"level":0.3,"inflow":0}' \\
       http://127.0.0.1:$SIM_CONTROL_PORT/stations/st001/physics                       # drain the sump: a running pump trips (dry run)
  curl -s -XPOST http://127.0.0.1:$SIM_CONTROL_PORT/stations/st001/pumps/1/local-reset  # reset the trip after refilling (level 2.5)
  tail -f $RUN/logs/webhooks.log                                                       # alarm notifications
  curl -s http://127.0.0.1:$SERVER_PORT/metrics | grep -v '^#'                           # ingestion counters
  influx -port $INFLUX_PORT -database irrigation -execute 'SELECT last(active_power) FROM station GROUP BY station'
  mosquitto_sub -p $MQTT_PORT -u irrigation-server -P \$(cat $RUN/mqtt-server-password) -v -t 'irrigation/#'   # live telemetry and status
  mosquitto_pub -p $MQTT_PORT -u irrigation-server -P \$(cat $RUN/mqtt-server-password) -q 1 -t irrigation/st001/cmd \\
    -m "{\\"id\\":\\"demo-\$RANDOM\\",\\"action\\":\\"start\\",\\"pump\\":1,\\"requestedBy\\":\\"demo\\",\\"expiresAt\\":\$(( \$(date +%s%3N) + 30000 ))}"   # unsigned: the gateway refuses it (bad_signature, docs/security.md); real commands come signed from the app
  mosquitto_sub -p $MQTT_PORT -u irrigation-server -P \$(cat $RUN/mqtt-server-password) -v -t 'irrigation/+/cmd/result'   # command outcomes
  mbpoll -m tcp -p $MODBUS_BASE_PORT -0 -r 8198 -c 3 -t 4:float -B 127.0.0.1          # phase voltages, raw x0.1 V
  curl -s -XPOST -H 'Content-Type: application/json' -d '{"remote":false}' \\
       http://127.0.0.1:$SIM_CONTROL_PORT/stations/st001/physics                       # station to local mode
  src/Irrigation.Commissioning/bin/Release/net10.0/irrigation-probe word-order \\
       --endpoint 127.0.0.1:$MODBUS_BASE_PORT --address 8198 --scale 0.1 --min 180 --max 260

Outages (run.sh starts the gateway or broker again when it exits, unless its .hold file exists):
  touch $RUN/gateway.hold && kill \$(cat $RUN/gateway.pid)     # gateway down: stations 离线 in the app, starts refused
  rm $RUN/gateway.hold                                        # gateway back: stations 在线 again
  touch $RUN/mosquitto.hold && kill \$(cat $RUN/mosquitto.pid) # broker down: the gateway queues telemetry on disk
  kill -9 \$(cat $RUN/gateway.pid)                             # crash the gateway meanwhile: restarted in 2 s, queue kept
  rm $RUN/mosquitto.hold                                      # broker back: the queued telemetry arrives, marked replayed

INFO

# Stay in the foreground until Ctrl-C or a child exits.
wait -n "${STARTED_PIDS[@]}" || true
log "a process exited; stopping the rest (see $RUN/logs/)"
