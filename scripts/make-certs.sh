#!/usr/bin/env bash
# Makes the TLS material of the broker's gateway listener (docs/security.md):
#   scripts/make-certs.sh [DIR] [GATEWAY_USERNAME...]
# into DIR (default config/certs, which git ignores): a small CA (ca.pem, ca.key), the broker's certificate
# (server.pem, server.key; names 127.0.0.1, localhost and mosquitto, plus BROKER_NAMES, e.g.
# BROKER_NAMES="DNS:mqtt.example.cn,IP:203.0.113.7"), and one client certificate per gateway ({username}.pem,
# {username}.key) whose common name is the gateway's mqtt.username — the broker takes it as the account name, so the
# ACL applies (use_identity_as_username). Usernames default to that of config/gateway.compose.json.
# Run again to add a gateway: an existing CA and existing certificates are kept; delete a file to make it anew.
# Private keys are mode 600 and never committed; give each gateway only its own .pem, .key and ca.pem.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

dir=${1:-config/certs}
(($#)) && shift
users=("$@")
if ((${#users[@]} == 0)); then
  users=("$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["mqtt"]["username"])' config/gateway.compose.json)")
fi
for user in "${users[@]}"; do
  [[ $user =~ ^[A-Za-z0-9._-]{1,64}$ ]] || { log "'$user' must be letters, digits, '.', '-' or '_' (a broker account name)"; exit 2; }
  [[ $user != ca && $user != server ]] || { log "'$user' would overwrite the CA's or the broker's files"; exit 2; }
done
command -v openssl >/dev/null 2>&1 || { log "openssl is required"; exit 1; }
mkdir -p "$dir"
CA_DAYS=${CA_DAYS:-3650}
CERT_DAYS=${CERT_DAYS:-825}

new_key() { # file
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null)
}

# sign NAME SUBJECT EXTENSIONS: NAME.key (made if missing) certified by the CA as NAME.pem
sign() {
  local name=$1 subject=$2 extensions=$3
  if [[ -s $dir/$name.pem ]]; then
    log "kept $dir/$name.pem"
    return
  fi
  [[ -s $dir/$name.key ]] || new_key "$dir/$name.key"
  openssl req -new -key "$dir/$name.key" -subj "$subject" -out "$dir/$name.csr"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days "$CERT_DAYS" -sha256 -extfile <(printf '%s\n' "$extensions") -out "$dir/$name.pem" 2>/dev/null
  rm -f "$dir/$name.csr"
  log "wrote $dir/$name.pem ($subject)"
}

if [[ ! -s $dir/ca.pem ]]; then
  new_key "$dir/ca.key"
  openssl req -x509 -new -key "$dir/ca.key" -sha256 -days "$CA_DAYS" -subj "/CN=Irrigation broker CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$dir/ca.pem"
  log "wrote $dir/ca.pem (a new CA: every certificate it signs must be given out again)"
else
  log "kept $dir/ca.pem"
fi

names="IP:127.0.0.1,DNS:localhost,DNS:mosquitto${BROKER_NAMES:+,$BROKER_NAMES}"
sign server "/CN=mosquitto" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$names"
for user in "${users[@]}"; do
  sign "$user" "/CN=$user" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
done
if [[ $dir == config/certs ]]; then
  # mosquitto reads its key after dropping to its own user (uid 1883 in the eclipse-mosquitto image).
  log "for docker compose: sudo chown 1883 $dir/server.key   (the broker container reads it as uid 1883)"
fi
