#!/usr/bin/env bash
# One failover run against the loopback NATS cluster (docs/scale-out.md, "Failover"): a persistent QoS 1 subscriber on
# node SUB_NODE and a publisher given all three addresses (node PUB_NODE first) run while node KILL_NODE is killed
# with SIGKILL AFTER seconds into the stream; the killed node is started again afterwards. Prints the kill time and
# both summaries; the subscriber reports every acknowledged number that never arrived ("acked_but_missing").
#
#   scripts/cluster/nats-failover.sh DIR [COUNT=15000] [RATE=1500] [AFTER=4] [PUB_NODE=1] [SUB_NODE=2] [KILL_NODE=1]
#
# The cluster must be running (nats-cluster.sh start DIR). Everything here is bounded: the probes by count and time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(realpath -m "${1:?data directory of the running cluster}")
count=${2:-15000} rate=${3:-1500} after=${4:-4} pub_node=${5:-1} sub_node=${6:-2} kill_node=${7:-1}
port() { echo $((21882 + $1)); }
brokers_from() { # the publisher's list: its own node first, then the others in order
  local first=$1 n list
  list="127.0.0.1:$(port "$first")"
  for n in 1 2 3; do [[ $n == "$first" ]] || list+=",127.0.0.1:$(port "$n")"; done
  echo "$list"
}
run=$dir/failover-$(date -u +%H%M%S)
mkdir -p "$run"
sub_id=failover-sub-$(date -u +%H%M%S)
probe=$here/mqtt_probe.py
# The subscriber stops after SUB_IDLE s without a message (default 20; raise it to see redeliveries after ack_wait,
# 30 s); every probe stops at the latest LIMIT_EXTRA s (default 45) after the publisher's planned duration.
sub_idle=${SUB_IDLE:-20}
limit=$((count / (rate > 0 ? rate : 1000) + ${LIMIT_EXTRA:-45}))

"$probe" sub --brokers "$(brokers_from "$sub_node")" --client-id "$sub_id" --subscribe-only --time-limit 20 >/dev/null 2>&1
"$probe" sub --brokers "$(brokers_from "$sub_node")" --client-id "$sub_id" --until "$count" --idle-exit "$sub_idle" \
  --time-limit "$limit" --out "$run/sub.json" 2>"$run/sub.events" >/dev/null &
sub_pid=$!
"$probe" pub --brokers "$(brokers_from "$pub_node")" --client-id "failover-pub" --count "$count" --rate "$rate" \
  --window 100 --time-limit "$limit" --out "$run/pub.json" 2>"$run/pub.events" >/dev/null &
pub_pid=$!
sleep "$after"
"$here/nats-cluster.sh" kill "$kill_node" "$dir" | tee "$run/kill.txt"
# Whatever happens next, the killed node is started again, so the next run finds three nodes.
trap '"$here/nats-cluster.sh" start-node "$kill_node" "$dir" >/dev/null 2>&1' EXIT
wait "$pub_pid" || true
wait "$sub_pid" || true
"$here/nats-cluster.sh" start-node "$kill_node" "$dir" >/dev/null
trap - EXIT
# End the subscriber's session, or its queue would keep every later message of the next runs.
"$probe" forget --brokers "$(brokers_from "$sub_node")" "$sub_id" >/dev/null 2>&1 || echo "could not end session $sub_id" >&2
echo "--- publisher ($run/pub.json)"; grep -v '"acked_ranges"' "$run/pub.events" | grep -E 'connected|disconnected|first_ack|no_connack|connect_error|refused' || true
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [d.pop(k) for k in ("events","acked_ranges")]; print(json.dumps(d))' "$run/pub.json"
echo "--- subscriber ($run/sub.json)"; grep -E 'connected|disconnected' "$run/sub.events" || true
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [d.pop(k) for k in ("events","received_ranges")]; print(json.dumps(d))' "$run/sub.json"
echo "--- acknowledged vs received"
"$probe" compare --pub "$run/pub.json" --sub "$run/sub.json"
