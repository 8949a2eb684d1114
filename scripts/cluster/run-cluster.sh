# Sourced by run.sh for `./run.sh cluster` (after scripts/common.sh): the clustered stack of docs/scale-out.md on
# 127.0.0.1 — three NATS nodes (MQTT over JetStream), PostgreSQL, two influxd, the simulator and the gateway against
# the three MQTT addresses, two server instances sharing the telemetry stream, and haproxy in front of them, so the
# phone app has one address. Every port is 2xxxx, so it runs beside the single stack of `./run.sh`; its state is under
# .run/cluster/. Ctrl-C stops all of it, the detached NATS nodes and PostgreSQL included.
# Broker accounts as with mosquitto: the gateway and the servers log in, each may use only its own topics — the NATS
# authorization block comes from the gateway configuration through irrigation-probe nats-auth (docs/scale-out.md).

STATIONS=${STATIONS:-5}
CLUSTER_MODBUS_BASE_PORT=${CLUSTER_MODBUS_BASE_PORT:-25020}
CLUSTER_SIM_CONTROL_PORT=${CLUSTER_SIM_CONTROL_PORT:-28099}
CLUSTER_WEB_PORT=${CLUSTER_WEB_PORT:-28080}         # haproxy: the one address of the web app and the API
CLUSTER_SERVER_PORTS=(28081 28082)                   # the server instances behind it
CLUSTER_STATS_PORT=${CLUSTER_STATS_PORT:-28090}     # haproxy's statistics page (backend state)
CLUSTER_INFLUX_PORTS=(28086 28087)                   # influx-a, influx-b (RPC ports: these + 100)
CLUSTER_POSTGRES_PORT=${CLUSTER_POSTGRES_PORT:-25432}
CLUSTER_WEBHOOK_PORT=${CLUSTER_WEBHOOK_PORT:-28098}
# Fixed by scripts/cluster/nats-cluster.sh: node n has MQTT 2188(n+2), NATS 2422(n+1), monitoring 2822(n+1).
NATS_MQTT=(127.0.0.1:21883 127.0.0.1:21884 127.0.0.1:21885)
NATS_SERVERS=nats://127.0.0.1:24222,nats://127.0.0.1:24223,nats://127.0.0.1:24224
RUN=.run/cluster
NATS_DIR=$RUN/nats
PG_DIR=$PWD/$RUN/postgres

ensure_packages # postgresql, nats-server and haproxy are in the shared list: the tests use them too
mkdir -p "$RUN/logs"

build_web # into the server's wwwroot, before the server is built
log "building (Release)"
for project in firmware-sim/Irrigation.FirmwareSim src/Irrigation.Gateway src/Irrigation.Server src/Irrigation.Commissioning; do
  dotnet build "$project" -c Release -nologo -v q
done

# PostgreSQL refuses to run as root: then initdb and postgres run as the postgres user (as the tests do,
# tests/Irrigation.Testing/PostgresServer.cs), in a data directory given to that user.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
AS_POSTGRES=()
[[ $(id -u) -eq 0 ]] && AS_POSTGRES=(runuser -u postgres --)
as_postgres() { "${AS_POSTGRES[@]}" "$@"; }

# The NATS nodes run detached (setsid) and PostgreSQL under runuser: stop_all ends what start_bg and supervise
# started; these two are stopped here as well, also when run.sh fails half-way.
stop_cluster() {
  stop_all
  if [[ -s $PG_DIR/data/postmaster.pid ]]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  if [[ -d $NATS_DIR ]]; then
    scripts/cluster/nats-cluster.sh stop "$NATS_DIR" || true
  fi
}
trap 'stop_cluster' EXIT

# ---- PostgreSQL: the server database both instances share (users, commands, alarms, plans, audit, leases) ----------
if [[ ! -s $PG_DIR/data/PG_VERSION ]]; then
  log "creating a PostgreSQL cluster in $PG_DIR/data"
  rm -rf "$PG_DIR"
  mkdir -p "$PG_DIR"
  [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$PG_DIR"
  # trust on loopback only (pg_hba from initdb): a demo database on 127.0.0.1, not an installation.
  as_postgres "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$RUN/logs/initdb.log" 2>&1
fi
start_bg postgres "$RUN/logs/postgres.log" "${AS_POSTGRES[@]}" "$PG_BIN/postgres" -D "$PG_DIR/data" -h 127.0.0.1 -p "$CLUSTER_POSTGRES_PORT" \
  -k "$PG_DIR" -c max_connections=100 -c shared_buffers=32MB
wait_port "$CLUSTER_POSTGRES_PORT" 60 postgres
for _ in $(seq 100); do "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$CLUSTER_POSTGRES_PORT" && break; sleep 0.2; done
if [[ -z $("$PG_BIN/psql" -h 127.0.0.1 -p "$CLUSTER_POSTGRES_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'irrigation'") ]]; then
  "$PG_BIN/psql" -h 127.0.0.1 -p "$CLUSTER_POSTGRES_PORT" -U postgres -qc "CREATE DATABASE irrigation" >/dev/null
fi
DATABASE="Host=127.0.0.1;Port=$CLUSTER_POSTGRES_PORT;Database=irrigation;Username=postgres"

# ---- Two InfluxDB 1.x replicas: every batch goes to both, each server has a spool per replica -----------------------
INFLUX_NAMES=(influx-a influx-b)
for i in 0 1; do
  name=${INFLUX_NAMES[$i]} port=${CLUSTER_INFLUX_PORTS[$i]}
  mkdir -p "$RUN/$name"
  write_influx_config "$RUN/$name/influxdb.conf" "$PWD/$RUN/$name" "$port" "$((port + 100))"
  # Supervised: kill -9 one and the servers spool its share until it is back (docs/scale-out.md, "Time series").
  supervise "$name" "$RUN/logs/$name.log" influxd -config "$RUN/$name/influxdb.conf"
done
for i in 0 1; do wait_port "${CLUSTER_INFLUX_PORTS[$i]}" 60 "${INFLUX_NAMES[$i]}"; done

# ---- Simulated stations, and a gateway configuration for the cluster -----------------------------------------------
start_simulator "$RUN" "$STATIONS" "$CLUSTER_MODBUS_BASE_PORT" "$CLUSTER_SIM_CONTROL_PORT" "${NATS_MQTT[0]}"
COMMAND_KEY=$(command_key "$RUN")

# ---- Broker accounts: random passwords made once and kept in .run/cluster/, mode 600; the gateway's account is its id.
broker_passwords "$RUN"

# The simulator writes one broker (mqtt.host/port); the gateway is given all three nodes instead, in order of
# preference, and MQTT 3.1.1 (NATS refuses MQTT 5), and logs in with its own account.
# TLS on the nodes' MQTT listeners (the passwords cross it): a CA and the nodes' certificate made once in $RUN/certs by
# scripts/make-certs.sh (names 127.0.0.1 and localhost); the gateway and the servers trust that CA alone.
CERTS=$RUN/certs
scripts/make-certs.sh "$CERTS" >/dev/null
GATEWAY_ID=$(/usr/bin/python3 - "$RUN/gateway.json" "$COMMAND_KEY" "$(cat "$RUN/mqtt-gateway-password")" "$PWD/$CERTS/ca.pem" "${NATS_MQTT[@]}" <<'PY'
import json, sys
path, key, password, ca, brokers = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
config = json.load(open(path))
config.setdefault("commands", {})["keys"] = [{"id": "k1", "secret": key}]
mqtt = config["mqtt"]
mqtt.pop("host", None)
mqtt.pop("port", None)
mqtt.update(brokers=brokers, protocol="3.1.1", username=config.get("id", "gw-01"), password=password, tlsCaFile=ca)
json.dump(config, open(path, "w"), indent=2)
print(config.get("id", "gw-01"))
PY
)
chmod 600 "$RUN/gateway.json" # it holds the command key and the gateway's password

# ---- NATS: three nodes, MQTT 3.1.1 over JetStream, every MQTT stream on all three (config/cluster/nats-node.conf) ---
# Its accounts come from the gateway configuration, as for any deployment (docs/deployment.md), at every start.
mkdir -p "$NATS_DIR"
MQTT_SERVER_PASSWORD=$MQTT_SERVER_PASSWORD src/Irrigation.Commissioning/bin/Release/net10.0/irrigation-probe nats-auth \
  --output "$NATS_DIR/nats-auth.conf" "$RUN/gateway.json"
# Included in each node's mqtt block (config/cluster/nats-node.conf); docs/scale-out.md, "TLS on the MQTT listeners".
printf 'tls {\n  cert_file: "%s"\n  key_file: "%s"\n  timeout: 5\n}\n' "$PWD/$CERTS/server.pem" "$PWD/$CERTS/server.key" >"$NATS_DIR/nats-mqtt-tls.conf"
scripts/cluster/nats-cluster.sh start "$NATS_DIR"

# ---- Demo users: random passwords made once and kept in .run/cluster/credentials ------------------------------------
demo_users "$RUN"

start_bg webhook-receiver "$RUN/logs/webhooks.log" /usr/bin/python3 -u scripts/webhook_receiver.py "$CLUSTER_WEBHOOK_PORT"

# ---- Two server instances: one shared telemetry stream (a JetStream consumer), one PostgreSQL database, both
# InfluxDB replicas; a lease in the database makes one of them the leader for once-only work (alarms, commands sweep,
# plans, reports). Each has its own MQTT client id and data directory (its spools); each prefers another NATS node.
for n in 1 2; do
  brokers=()
  for k in 0 1 2; do brokers+=("Irrigation__Mqtt__Brokers__$k=${NATS_MQTT[$(((n - 1 + k) % 3))]}"); done
  supervise "server-$n" "$RUN/logs/server-$n.log" env \
    Irrigation__Mqtt__Protocol=3.1.1 "${brokers[@]}" Irrigation__Mqtt__ClientId="irrigation-server-cluster-$n" \
    Irrigation__Mqtt__Username=irrigation-server Irrigation__Mqtt__Password="$MQTT_SERVER_PASSWORD" \
    Irrigation__Mqtt__TlsCaFile="$PWD/$CERTS/ca.pem" \
    Irrigation__SharedStream__Servers="$NATS_SERVERS" \
    Irrigation__SharedStream__Username=irrigation-server Irrigation__SharedStream__Password="$MQTT_SERVER_PASSWORD" \
    Irrigation__Database__Provider=PostgreSql Irrigation__Database__ConnectionString="$DATABASE" \
    Irrigation__Influx__Replicas__0__Name=influx-a Irrigation__Influx__Replicas__0__Url="http://127.0.0.1:${CLUSTER_INFLUX_PORTS[0]}" \
    Irrigation__Influx__Replicas__1__Name=influx-b Irrigation__Influx__Replicas__1__Url="http://127.0.0.1:${CLUSTER_INFLUX_PORTS[1]}" \
    Irrigation__DataDirectory="$PWD/$RUN/server-$n-data" Irrigation__StationFiles__0="$PWD/$RUN/gateway.json" \
    "Irrigation__Commands__GatewayKeys__${GATEWAY_ID}__0__Id=k1" "Irrigation__Commands__GatewayKeys__${GATEWAY_ID}__0__Secret=$COMMAND_KEY" \
    Irrigation__Alarms__Webhooks__0__Url="http://127.0.0.1:$CLUSTER_WEBHOOK_PORT/wecom?key=demo" Irrigation__Alarms__Webhooks__0__Format=wecom \
    Irrigation__Alarms__Webhooks__0__Events__0=raised Irrigation__Alarms__Webhooks__0__Events__1=acknowledged Irrigation__Alarms__Webhooks__0__Events__2=cleared \
    "${user_env[@]}" \
    src/Irrigation.Server/bin/Release/net10.0/irrigation-server --urls "http://127.0.0.1:${CLUSTER_SERVER_PORTS[$((n - 1))]}"
done
# The shared consumer on $MQTT_msgs (interest retention) must exist before the gateway publishes, as a persistent
# session must with mosquitto: wait until the servers are ready (telemetry subscriptions granted) first.
for port in "${CLUSTER_SERVER_PORTS[@]}"; do
  wait_port "$port" 90 "server on $port"
  deadline=$((SECONDS + 90))
  until curl -fs -o /dev/null "http://127.0.0.1:$port/health/ready"; do
    ((SECONDS < deadline)) || { log "the server on $port was not ready within 90 s (see $RUN/logs/)"; exit 1; }
    sleep 0.5
  done
done

# ---- Gateway: polls the stations, publishes to whichever NATS node answers first ------------------------------------
supervise gateway "$RUN/logs/gateway.log" src/Irrigation.Gateway/bin/Release/net10.0/irrigation-gateway --config "$RUN/gateway.json"

# ---- haproxy: one address for the phone app, round-robin over the two instances ------------------------------------
# config/cluster/haproxy.cfg, as in the compose profile; what differs is its environment.
export HAPROXY_WEB_BIND=127.0.0.1:$CLUSTER_WEB_PORT HAPROXY_STATS_BIND=127.0.0.1:$CLUSTER_STATS_PORT
export HAPROXY_SERVER_1=127.0.0.1:${CLUSTER_SERVER_PORTS[0]} HAPROXY_SERVER_2=127.0.0.1:${CLUSTER_SERVER_PORTS[1]}
haproxy -c -q -f config/cluster/haproxy.cfg
supervise haproxy "$RUN/logs/haproxy.log" haproxy -db -f config/cluster/haproxy.cfg
wait_port "$CLUSTER_WEB_PORT" 20 haproxy

last_port=$((CLUSTER_MODBUS_BASE_PORT + STATIONS - 1))
cat <<INFO

Irrigation cluster is running on 127.0.0.1 (Ctrl-C stops it; state in $RUN/).

  Web app (phone)      http://127.0.0.1:$CLUSTER_WEB_PORT/      haproxy in front of both servers: open it at phone size (360x740)
  Demo sign-in         $(tr '\n' ';' <"$RUN/credentials" | sed 's/;$//; s/;/   /g')   (user password; from $RUN/credentials)
  haproxy              http://127.0.0.1:$CLUSTER_WEB_PORT/ round-robin, checks /health/live every second; backend state at http://127.0.0.1:$CLUSTER_STATS_PORT/
  Server 1             http://127.0.0.1:${CLUSTER_SERVER_PORTS[0]}/health/ready   log $RUN/logs/server-1.log, pid file $RUN/server-1.pid
  Server 2             http://127.0.0.1:${CLUSTER_SERVER_PORTS[1]}/health/ready   log $RUN/logs/server-2.log, pid file $RUN/server-2.pid
  NATS cluster         MQTT over TLS ${NATS_MQTT[*]} (CA $CERTS/ca.pem)   NATS $NATS_SERVERS
                       monitoring http://127.0.0.1:28222/healthz (28223, 28224)   data and logs $NATS_DIR/
  Broker accounts      irrigation-server (MQTT and NATS; password in $RUN/mqtt-server-password), $GATEWAY_ID ($RUN/mqtt-gateway-password)
                       authorization block $NATS_DIR/nats-auth.conf (irrigation-probe nats-auth; each node's copy of nats-node.conf includes it)
  PostgreSQL           127.0.0.1:$CLUSTER_POSTGRES_PORT database irrigation, user postgres, trust on loopback
                       (psql -h 127.0.0.1 -p $CLUSTER_POSTGRES_PORT -U postgres irrigation)   data $PG_DIR/data
  InfluxDB replicas    influx-a http://127.0.0.1:${CLUSTER_INFLUX_PORTS[0]}   influx-b http://127.0.0.1:${CLUSTER_INFLUX_PORTS[1]}   database "irrigation"
  Gateway              polls $STATIONS stations every second, config $RUN/gateway.json (mqtt.brokers = the three nodes, 3.1.1, tlsCaFile)
  Simulated stations   Modbus TCP on ports $CLUSTER_MODBUS_BASE_PORT..$last_port; control http://127.0.0.1:$CLUSTER_SIM_CONTROL_PORT/stations
  Alarm robots         $RUN/logs/webhooks.log
  Logs                 $RUN/logs/

Watch:
  watch -n2 "influx -port ${CLUSTER_INFLUX_PORTS[0]} -database irrigation -execute 'SELECT count(seq) FROM station'; influx -port ${CLUSTER_INFLUX_PORTS[1]} -database irrigation -execute 'SELECT count(seq) FROM station'"
  curl -s http://127.0.0.1:$CLUSTER_WEB_PORT/health/ready; echo                              # through haproxy: one instance answers
  scripts/cluster/nats-cluster.sh status $NATS_DIR
  mosquitto_sub -p 21883 --cafile $CERTS/ca.pem -V mqttv311 -u irrigation-server -P \$(cat $RUN/mqtt-server-password) -v -t 'irrigation/#'   # live telemetry and status, as the server

Failures (run.sh starts a server, an influxd, the gateway or haproxy again 2 s after it exits, unless its .hold file exists):
  touch $RUN/server-1.hold && kill -9 \$(cat $RUN/server-1.pid)
      # one server dies: haproxy sends every request to server 2 within ~2 s; an event stream on server 1 ends and the
      # app reconnects through haproxy; server 2 takes the leader's lease within 15 s and server 1's unacknowledged
      # telemetry after AckWait (30 s)
  rm $RUN/server-1.hold                                    # server 1 back
  scripts/cluster/nats-cluster.sh kill 3 $NATS_DIR
      # one NATS node dies: clients move to the next node; about 6-17 s without telemetry while JetStream elects a new
      # leader of a stream or consumer the node led (the gateway queues meanwhile, nothing acknowledged is lost)
  scripts/cluster/nats-cluster.sh start-node 3 $NATS_DIR   # node 3 back
  touch $RUN/influx-b.hold && kill -9 \$(cat $RUN/influx-b.pid)
      # one replica dies: its share waits in each server's spool (irrigation_spool_pending_batches in /metrics)
  rm $RUN/influx-b.hold                                    # influx-b back: the spools replay into it

INFO

# Stay in the foreground until Ctrl-C or a child exits.
wait -n "${STARTED_PIDS[@]}" || true
log "a process exited; stopping the rest (see $RUN/logs/)"
