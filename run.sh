#!/usr/bin/env bash
# Runs the whole system on 127.0.0.1: installs missing packages, builds, starts every part, prints where to look.
# Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/common.sh

STATIONS=${STATIONS:-5}
MODBUS_BASE_PORT=${MODBUS_BASE_PORT:-5020}
SIM_CONTROL_PORT=${SIM_CONTROL_PORT:-8099}

ensure_packages
mkdir -p .run/logs

log "building (Release)"
dotnet build Irrigation.sln -c Release -nologo -v q

start_bg firmware-sim .run/logs/firmware-sim.log \
  firmware-sim/Irrigation.FirmwareSim/bin/Release/net10.0/firmware-sim \
  --stations "$STATIONS" --pumps 0 --base-port "$MODBUS_BASE_PORT" --control-port "$SIM_CONTROL_PORT"
wait_port "$SIM_CONTROL_PORT" 30 firmware-sim

last_port=$((MODBUS_BASE_PORT + STATIONS - 1))
cat <<INFO

Irrigation stack is running on 127.0.0.1 (Ctrl-C stops it).

  Simulated stations   $STATIONS stations, Modbus TCP on ports $MODBUS_BASE_PORT..$last_port
                       meter (CHINT DTSU666 map) = unit 1, pump controller = unit 2
  Simulator control    http://127.0.0.1:$SIM_CONTROL_PORT/stations   (faults, mains, level, local start)
  Logs                 .run/logs/

Try:
  mbpoll -m tcp -p $MODBUS_BASE_PORT -0 -r 8198 -c 3 -t 4:float -B 127.0.0.1        # phase voltages, raw x0.1 V
  mbpoll -m tcp -p $MODBUS_BASE_PORT -a 2 -0 -r 0 -t 0 -1 127.0.0.1 1               # start pump 1 (coil pulse)
  mbpoll -m tcp -p $MODBUS_BASE_PORT -a 2 -0 -r 10 -c 2 -t 4 127.0.0.1               # pump 1 status word, current x0.1 A
  curl -s -XPOST -H 'Content-Type: application/json' -d '{"flipWordOrder":true}' \\
       http://127.0.0.1:$SIM_CONTROL_PORT/stations/st002/faults
  src/Irrigation.Commissioning/bin/Release/net10.0/irrigation-probe word-order \\
       --endpoint 127.0.0.1:$((MODBUS_BASE_PORT + 1)) --address 8198 --scale 0.1 --min 180 --max 260

INFO

# Stay in the foreground until Ctrl-C or a child exits.
wait -n "${STARTED_PIDS[@]}" || true
log "a process exited; stopping the rest (see .run/logs/)"
