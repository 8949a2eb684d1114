#!/usr/bin/env bash
# (Re)writes config/mosquitto.passwd, the broker's password file for docker-compose.yml (docs/deployment.md).
# Two users: irrigation-server and irrigation-gateway. Passwords come from the environment; the defaults are the
# demo passwords docker-compose.yml and config/gateway.compose.json use. Change all three places together:
#   MQTT_SERVER_PASSWORD=... MQTT_GATEWAY_PASSWORD=... scripts/mqtt-passwd.sh
# then put MQTT_SERVER_PASSWORD in .env beside docker-compose.yml and the gateway password in
# config/gateway.compose.json (mqtt.password).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

command -v mosquitto_passwd >/dev/null 2>&1 || ensure_packages # mosquitto_passwd ships with the mosquitto package
file=config/mosquitto.passwd
rm -f "$file"
mosquitto_passwd -b -c "$file" irrigation-server "${MQTT_SERVER_PASSWORD:-change-me-server}"
mosquitto_passwd -b "$file" irrigation-gateway "${MQTT_GATEWAY_PASSWORD:-change-me-gateway}"
chmod 0644 "$file" # the broker in the container runs as user mosquitto and must read the bind-mounted file
log "wrote $file (users irrigation-server, irrigation-gateway)"
