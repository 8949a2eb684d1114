#!/usr/bin/env bash
# Starts and stops the three-node NATS cluster (MQTT over JetStream) on 127.0.0.1, for ./run.sh cluster and for the
# measurements in docs/scale-out.md. Every node uses config/cluster/nats-node.conf, copied into DIR beside the
# accounts it includes, DIR/nats-auth.conf — the authorization block of `irrigation-probe nats-auth`, which the caller
# writes first (./run.sh cluster does; an empty file lets every client in, for measurements only). Its name, ports and
# data directory come from the environment set here.
#
#   scripts/cluster/nats-cluster.sh start DIR          start nodes 1-3 (data and logs under DIR), wait until healthy
#   scripts/cluster/nats-cluster.sh start-node N DIR   start one node (after a kill)
#   scripts/cluster/nats-cluster.sh kill N DIR         kill -9 node N (a crash)
#   scripts/cluster/nats-cluster.sh stop DIR           stop every node started under DIR (SIGTERM, then SIGKILL)
#   scripts/cluster/nats-cluster.sh status DIR         each node's pid, MQTT port and health
#   scripts/cluster/nats-cluster.sh mqtt-urls          the three MQTT addresses, for clients given all three
#
# Ports of node n: MQTT 2188(n+2), NATS 2422(n+1), routes 2622(n+1), monitoring 2822(n+1).
# A node runs detached from this shell (setsid); its pid is in DIR/nats-N.pid, its log in DIR/nats-N.log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
conf="$here/../../config/cluster/nats-node.conf"
NODES=(1 2 3)

mqtt_port() { echo $((21882 + $1)); }
monitor_port() { echo $((28221 + $1)); }

node_pid() { # N DIR -> the pid if that node runs
  local f="$2/nats-$1.pid" pid
  [[ -s $f ]] || return 1
  pid=$(<"$f")
  kill -0 "$pid" 2>/dev/null && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == nats-server ]] && echo "$pid"
}

start_node() { # N DIR
  local n=$1 dir=$2
  if node_pid "$n" "$dir" >/dev/null; then
    echo "node $n already runs (pid $(node_pid "$n" "$dir"))"
    return 0
  fi
  mkdir -p "$dir/nats-$n"
  if [[ ! -f $dir/nats-auth.conf ]]; then
    echo "$dir/nats-auth.conf is missing: write the accounts first (irrigation-probe nats-auth --output $dir/nats-auth.conf GATEWAY_CONFIG..., docs/deployment.md)" >&2
    return 1
  fi
  # The include "nats-auth.conf" is relative to the configuration file, hence the copy. Copied only when it differs:
  # rewriting it while the node started just before is still reading it once gave that node an empty configuration
  # (it listened on 0.0.0.0:4222 without JetStream).
  cmp -s "$conf" "$dir/nats-node.conf" || cp "$conf" "$dir/nats-node.conf"
  # The MQTT listener's TLS block (included inside mqtt { }): the caller's DIR/nats-mqtt-tls.conf, else the committed
  # plain default.
  [[ -f $dir/nats-mqtt-tls.conf ]] || cp "$(dirname "$conf")/nats-mqtt-tls.conf" "$dir/nats-mqtt-tls.conf"
  NODE_NAME="irrigation-nats-$n" \
    NODE_CLIENT_LISTEN="127.0.0.1:$((24221 + n))" \
    NODE_ROUTE_LISTEN="127.0.0.1:$((26221 + n))" \
    NODE_MQTT_LISTEN="127.0.0.1:$(mqtt_port "$n")" \
    NODE_MONITOR_LISTEN="127.0.0.1:$(monitor_port "$n")" \
    NATS_STORE_DIR="$dir/nats-$n" \
    setsid nats-server -c "$dir/nats-node.conf" >>"$dir/nats-$n.log" 2>&1 </dev/null &
  echo $! >"$dir/nats-$n.pid"
  echo "started node $n (pid $!, MQTT 127.0.0.1:$(mqtt_port "$n"), log $dir/nats-$n.log)"
}

# Waits for /healthz?js-server-only=true: the node runs JetStream and is current with the cluster's metadata. The full
# /healthz also wants every stream and consumer current; on nats-server 2.9.10 a node killed and started again kept
# reporting the other nodes' retained-message consumer ($MQTT_rmsgs_<hash>) "not current" for minutes while MQTT
# clients were served normally (docs/scale-out.md), so `status` shows the full check and start waits for this one.
wait_healthy() { # N seconds
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null 2>/dev/null "http://127.0.0.1:$(monitor_port "$1")/healthz?js-server-only=true"; do
    ((SECONDS < deadline)) || { echo "node $1 not healthy within $2 s" >&2; return 1; }
    sleep 0.2
  done
}

stop_node() { # N DIR
  local n=$1 dir=$2 pid
  pid=$(node_pid "$n" "$dir") || { rm -f "$dir/nats-$n.pid"; return 0; }
  kill -TERM "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  rm -f "$dir/nats-$n.pid"
  echo "stopped node $n (pid $pid)"
}

command=${1:-}
case $command in
  start)
    dir=$(realpath -m "${2:?data directory}")
    mkdir -p "$dir"
    for n in "${NODES[@]}"; do start_node "$n" "$dir"; done
    for n in "${NODES[@]}"; do wait_healthy "$n" 60; done
    echo "cluster healthy: $("$0" mqtt-urls)"
    ;;
  start-node)
    dir=$(realpath -m "${3:?data directory}")
    start_node "${2:?node 1-3}" "$dir"
    wait_healthy "$2" 60
    ;;
  kill)
    dir=$(realpath -m "${3:?data directory}")
    pid=$(node_pid "${2:?node 1-3}" "$dir") || { echo "node $2 is not running" >&2; exit 1; }
    kill -KILL "$pid"
    rm -f "$dir/nats-$2.pid"
    echo "killed node $2 (pid $pid) at $(date -u +%s.%N)"
    ;;
  stop)
    dir=$(realpath -m "${2:?data directory}")
    for n in "${NODES[@]}"; do stop_node "$n" "$dir"; done
    ;;
  status)
    dir=$(realpath -m "${2:?data directory}")
    for n in "${NODES[@]}"; do
      if pid=$(node_pid "$n" "$dir"); then
        health=$(curl -s "http://127.0.0.1:$(monitor_port "$n")/healthz" || echo unreachable)
        echo "node $n: pid $pid, MQTT 127.0.0.1:$(mqtt_port "$n"), health $health"
      else
        echo "node $n: not running"
      fi
    done
    ;;
  mqtt-urls)
    for n in "${NODES[@]}"; do printf '127.0.0.1:%s%s' "$(mqtt_port "$n")" "$([[ $n == "${NODES[-1]}" ]] || echo ,)"; done
    echo
    ;;
  *)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
