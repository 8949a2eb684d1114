#!/usr/bin/env bash
# (Re)writes the broker's password file: one account per gateway plus the server (docs/security.md).
#   scripts/mqtt-passwd.sh [--output FILE] [GATEWAY_CONFIG...]
# Defaults: config/mosquitto.passwd (docker-compose.yml) from config/gateway.compose.json. Each gateway's account is
# its configuration's mqtt.username with its mqtt.password; a gateway without a password gets no entry (it can only
# come in on the TLS listener with its client certificate, scripts/make-certs.sh). The server's account is
# irrigation-server with MQTT_SERVER_PASSWORD (default: the compose demo password change-me-server; put the real one
# in .env beside docker-compose.yml). The ACL comes from the same files: irrigation-probe mqtt-acl (docs/deployment.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

file=config/mosquitto.passwd
if [[ ${1:-} == --output ]]; then
  file=$2
  shift 2
fi
configs=("$@")
((${#configs[@]})) || configs=(config/gateway.compose.json)

command -v mosquitto_passwd >/dev/null 2>&1 || ensure_packages # mosquitto_passwd ships with the mosquitto package
# username<TAB>password per gateway, read from the files as they are (no environment overrides).
accounts=$(/usr/bin/python3 - "${configs[@]}" <<'PY'
import json, sys
for path in sys.argv[1:]:
    mqtt = json.load(open(path, encoding="utf-8")).get("mqtt", {})
    if not mqtt.get("username"):
        sys.exit(f"{path}: mqtt.username is required: it names the gateway's broker account")
    print(f"{mqtt['username']}\t{mqtt.get('password') or ''}")
PY
)

rm -f "$file.tmp"
mosquitto_passwd -b -c "$file.tmp" irrigation-server "${MQTT_SERVER_PASSWORD:-change-me-server}"
users=(irrigation-server)
while IFS=$'\t' read -r user password; do
  if [[ -z $password ]]; then
    log "$user: no mqtt.password, no password account (certificate only)"
    continue
  fi
  mosquitto_passwd -b "$file.tmp" "$user" "$password"
  users+=("$user")
done <<<"$accounts"
# The broker in the compose container runs as user mosquitto and must read the bind-mounted file; elsewhere it runs as
# the file's owner.
if [[ $file == config/mosquitto.passwd ]]; then chmod 0644 "$file.tmp"; else chmod 0600 "$file.tmp"; fi
mv "$file.tmp" "$file"
log "wrote $file (users ${users[*]})"
