#!/usr/bin/env bash
# Runs the whole system on 127.0.0.1: installs missing packages, builds, starts every part, prints where to look.
# Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/common.sh

STATIONS=${STATIONS:-5}
MODBUS_BASE_PORT=${MODBUS_BASE_PORT:-5020}
SIM_CONTROL_PORT=${SIM_CONTROL_PORT:-8099}
MQTT_PORT=${MQTT_PORT:-1883}
RUN=.run

ensure_packages
mkdir -p "$RUN/logs" "$RUN/mosquitto"

log "building (Release)"
dotnet build Irrigation.sln -c Release -nologo -v q

# ---- MQTT broker: the project's no-loss settings plus this run's listener and data directory --------------
cp config/mosquitto.conf "$RUN/mosquitto/mosquitto.conf"
cat >>"$RUN/mosquitto/mosquitto.conf" <<CONF
listener $MQTT_PORT 127.0.0.1
persistence_location $PWD/$RUN/mosquitto/
user $(id -un)
CONF
start_bg mosquitto "$RUN/logs/mosquitto.log" /usr/sbin/mosquitto -c "$RUN/mosquitto/mosquitto.conf"
wait_port "$MQTT_PORT" 20 mosquitto

# ---- Simulated stations, and a gateway configuration that polls them --------------------------------------
rm -f "$RUN/gateway.json"
start_bg firmware-sim "$RUN/logs/firmware-sim.log" \
  firmware-sim/Irrigation.FirmwareSim/bin/Release/net10.0/firmware-sim \
  --stations "$STATIONS" --pumps 0 --base-port "$MODBUS_BASE_PORT" --control-port "$SIM_CONTROL_PORT" \
  --emit-gateway-config "$RUN/gateway.json" --gateway-mqtt "127.0.0.1:$MQTT_PORT" --gateway-data "$PWD/$RUN/gateway-data"
wait_port "$SIM_CONTROL_PORT" 30 firmware-sim
for _ in $(seq 50); do [[ -s $RUN/gateway.json ]] && break; sleep 0.2; done

# ---- Gateway -------------------------------------------------------------------------------------------------
start_bg gateway "$RUN/logs/gateway.log" src/Irrigation.Gateway/bin/Release/net10.0/irrigation-gateway --config "$RUN/gateway.json"

last_port=$((MODBUS_BASE_PORT + STATIONS - 1))
cat <<INFO

Irrigation stack is running on 127.0.0.1 (Ctrl-C stops it).

  MQTT broker          mqtt://127.0.0.1:$MQTT_PORT   (mosquitto, config $RUN/mosquitto/mosquitto.conf)
  Gateway              polls $STATIONS stations every second, config $RUN/gateway.json, data $RUN/gateway-data/
  Simulated stations   Modbus TCP on ports $MODBUS_BASE_PORT..$last_port (meter unit 1, pump controller unit 2)
  Simulator control    http://127.0.0.1:$SIM_CONTROL_PORT/stations   (faults, mains, level, local start)
  Logs                 $RUN/logs/

Try:
  mosquitto_sub -p $MQTT_PORT -v -t 'irrigation/#'                                    # live telemetry and status
  mosquitto_pub -p $MQTT_PORT -q 1 -t irrigation/st001/cmd \\
    -m "{\\"id\\":\\"demo-\$RANDOM\\",\\"action\\":\\"start\\",\\"pump\\":1,\\"requestedBy\\":\\"demo\\",\\"expiresAt\\":\$(( \$(date +%s%3N) + 30000 ))}"
  mosquitto_sub -p $MQTT_PORT -v -t 'irrigation/+/cmd/result'                          # command outcomes
  mbpoll -m tcp -p $MODBUS_BASE_PORT -0 -r 8198 -c 3 -t 4:float -B 127.0.0.1          # phase voltages, raw x0.1 V
  curl -s -XPOST -H 'Content-Type: application/json' -d '{"remote":false}' \\
       http://127.0.0.1:$SIM_CONTROL_PORT/stations/st001/physics                       # station to local mode
  src/Irrigation.Commissioning/bin/Release/net10.0/irrigation-probe word-order \\
       --endpoint 127.0.0.1:$MODBUS_BASE_PORT --address 8198 --scale 0.1 --min 180 --max 260

INFO

# Stay in the foreground until Ctrl-C or a child exits.
wait -n "${STARTED_PIDS[@]}" || true
log "a process exited; stopping the rest (see $RUN/logs/)"
