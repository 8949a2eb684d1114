#!/usr/bin/env bash
# QoS 1 throughput through a broker or the cluster (docs/scale-out.md, "Throughput"): one persistent QoS 1 subscriber
# and P publishers (mqtt_probe.py, MQTT 3.1.1, ~700-byte payloads, 100 in flight each), each publishing COUNT numbers
# of its own as fast as PUBACKs come. Publisher k connects to the k-th address of BROKERS (round robin), the
# subscriber to the first. Prints each summary and the CPU the broker processes (PIDS) used meanwhile.
#
#   scripts/cluster/broker-throughput.sh OUTDIR BROKERS PUBLISHERS COUNT "PID [PID...]"
#
# Run it under flock /tmp/irrigation-build.lock (the machine is shared). Bounded: every probe has a time limit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?output directory} brokers=${2:?host:port[,host:port...]} publishers=${3:?publishers} count=${4:?messages per publisher}
read -r -a pids <<<"${5:?broker pids}"
mkdir -p "$out"
IFS=, read -r -a list <<<"$brokers"
probe=$here/mqtt_probe.py
limit=170
total=$((publishers * count))
cpu_ticks() { local t=0 pid f; for pid in "${pids[@]}"; do read -r -a f <"/proc/$pid/stat"; t=$((t + f[13] + f[14])); done; echo "$t"; }

sub_id=tp-sub-$(date -u +%H%M%S%N)
"$probe" sub --brokers "${list[0]}" --client-id "$sub_id" --subscribe-only --time-limit 20 >/dev/null 2>&1
"$probe" sub --brokers "${list[0]}" --client-id "$sub_id" --until "$total" --idle-exit 20 --time-limit "$limit" \
  --out "$out/sub.json" 2>"$out/sub.events" >"$out/sub.txt" &
sub_pid=$!
ticks0=$(cpu_ticks) t0=$(date +%s%N)
pub_pids=()
for ((k = 0; k < publishers; k++)); do
  rotated=""
  for ((j = 0; j < ${#list[@]}; j++)); do rotated+="${rotated:+,}${list[$(((k + j) % ${#list[@]}))]}"; done
  "$probe" pub --brokers "$rotated" --client-id "tp-pub-$k" --first $((k * count + 1)) --count "$count" --window 100 \
    --time-limit "$limit" --out "$out/pub-$k.json" 2>"$out/pub-$k.events" >"$out/pub-$k.txt" &
  pub_pids+=($!)
done
for p in "${pub_pids[@]}"; do wait "$p" || true; done
wait "$sub_pid" || true
ticks1=$(cpu_ticks) t1=$(date +%s%N)
# End the subscriber's session, or its queue would keep every later message of the next runs.
"$probe" forget --brokers "$brokers" "$sub_id" >/dev/null 2>&1 || echo "could not end session $sub_id" >&2
cat "$out"/pub-*.txt "$out/sub.txt"
echo "{\"brokers\": \"$brokers\", \"publishers\": $publishers, \"messages\": $total, \"wall_ms\": $(((t1 - t0) / 1000000)), \"broker_cpu_ms\": $(((ticks1 - ticks0) * 10))}" | tee "$out/run.json"
