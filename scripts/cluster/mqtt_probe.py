#!/usr/bin/python3
"""Bounded MQTT 3.1.1 QoS 1 probe for the broker measurements in docs/scale-out.md (paho-mqtt 1.6, Debian).

  pub  publishes messages FIRST..FIRST+COUNT-1 (QoS 1) over one connection, at most WINDOW awaiting PUBACK, optionally at a
       fixed RATE; when the connection is lost it connects to the next broker of --brokers and sends again every
       message not yet acknowledged (at least once, like the gateway's outbox). Writes a JSON summary: which numbers
       were acknowledged, when each connection came up and went down, and the first PUBACK on each connection.
  sub  a persistent-session subscriber (clean session off, fixed client id, QoS 1): counts every number it receives,
       moves to the next broker when its connection is lost, and stops when it has every number up to --until, when
       nothing arrived for --idle-exit seconds, or at --time-limit. With --acked it reports which acknowledged
       numbers never arrived. --subscribe-only creates the session and its subscription, then leaves.
  compare  reads a pub and a sub summary: acknowledged numbers that never arrived.
  forget   ends persistent sessions left by earlier runs (they would keep receiving, and slow later runs).

Every loop is bounded by a count and a time limit. Payload: {"n":<number>,"station":"<id>","seq":<n>,"pad":"..."}
on topic {prefix}/{station}/telemetry, stations taking turns. Measurement aid only; not used by the product.
"""
import argparse
import collections
import json
import queue
import sys
import time

import paho.mqtt.client as mqtt


def parse_brokers(text):
    brokers = []
    for item in text.split(","):
        host, port = item.rsplit(":", 1)
        brokers.append((host, int(port)))
    return brokers


def ranges(numbers):
    """Sorted numbers as [[first, last], ...]."""
    out = []
    for n in numbers:
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return out


class Connection:
    """One paho client on one broker; callbacks only put events in a queue (no locks shared with paho)."""

    def __init__(self, client_id, clean, events, broker, keepalive):
        self.events = events
        self.broker = broker
        # paho must not reconnect by itself: the probe moves to the next broker, and a paho thread that reconnected
        # with QoS 1 messages still in flight would never stop.
        self.client = mqtt.Client(client_id=client_id, clean_session=clean, protocol=mqtt.MQTTv311,
                                  reconnect_on_failure=False)
        self.client.max_inflight_messages_set(65535)
        self.client.max_queued_messages_set(0)
        self.client.on_connect = lambda c, u, flags, rc: events.put(("connack", self, rc, flags.get("session present", 0)))
        self.client.on_disconnect = lambda c, u, rc: events.put(("down", self, rc))
        self.client.on_publish = lambda c, u, mid: events.put(("ack", self, mid))
        self.client.on_subscribe = lambda c, u, mid, granted: events.put(("suback", self, granted))
        self.client.on_message = lambda c, u, msg: events.put(("msg", self, msg.payload, msg.dup))
        self.keepalive = keepalive

    def start(self):
        host, port = self.broker
        self.client.connect(host, port, keepalive=self.keepalive)  # raises at once when the port refuses
        self.client.loop_start()

    def stop(self, graceful):
        try:
            if graceful:
                self.client.disconnect()
        finally:
            self.client.loop_stop()


def connect(brokers, index, client_id, clean, events, keepalive, deadline, log):
    """Connects to brokers[index], then the next ones in turn, until one accepts; returns (connection, index)."""
    while time.time() < deadline:
        broker = brokers[index % len(brokers)]
        conn = Connection(client_id, clean, events, broker, keepalive)
        started = time.time()
        try:
            conn.start()
        except OSError as e:
            log("connect_error", broker=f"{broker[0]}:{broker[1]}", error=str(e))
            conn.stop(False)
            index += 1
            time.sleep(0.05)
            continue
        while time.time() - started < 3:
            try:
                kind, source, *rest = events.get(timeout=0.05)
            except queue.Empty:
                continue
            if source is not conn:
                continue
            if kind == "connack" and rest[0] == 0:
                log("connected", broker=f"{broker[0]}:{broker[1]}", session_present=rest[1])
                return conn, index
            if kind in ("connack", "down"):
                log("refused" if kind == "connack" else "connect_lost", broker=f"{broker[0]}:{broker[1]}", rc=rest[0])
                break
        else:
            log("no_connack", broker=f"{broker[0]}:{broker[1]}", waited_s=3)
        conn.stop(False)
        index += 1
        time.sleep(0.05)
    raise TimeoutError("no broker accepted a connection before the time limit")


def make_logger(events_out):
    def log(event, **fields):
        record = {"t": round(time.time(), 4), "event": event, **fields}
        events_out.append(record)
        print(json.dumps(record), file=sys.stderr, flush=True)
    return log


def run_pub(args):
    brokers = parse_brokers(args.brokers)
    events_out = []
    log = make_logger(events_out)
    deadline = time.time() + args.time_limit
    pad = "x" * max(0, args.size - 60)
    pending = collections.deque(range(1, args.count + 1))
    acked = bytearray(args.count + 1)
    acked_count = 0
    index = 0
    events = queue.Queue()
    started = time.time()
    first_ack = last_ack = None
    gap = (0.0, None, None)  # the longest time without a new PUBACK: (seconds, from, to)
    while acked_count < args.count and time.time() < deadline:
        conn, index = connect(brokers, index, args.client_id, True, events, args.keepalive, deadline, log)
        unacked = {}
        first_on_connection = True
        up = True
        next_send = time.time()
        while up and acked_count < args.count and time.time() < deadline:
            while pending and len(unacked) < args.window:
                if args.rate and time.time() < next_send:
                    break
                i = pending.popleft()
                n = args.first + i - 1
                station = f"{args.prefix_station}{(n - 1) % args.stations + 1:05d}"
                payload = f'{{"n":{n},"station":"{station}","seq":{(n - 1) // args.stations + 1},"pad":"{pad}"}}'
                info = conn.client.publish(f"{args.topic_prefix}/{station}/telemetry", payload, qos=1)
                unacked[info.mid] = i
                if args.rate:
                    next_send += 1.0 / args.rate
            try:
                kind, source, *rest = events.get(timeout=0.002 if args.rate else 0.05)
            except queue.Empty:
                continue
            if source is not conn:
                continue
            if kind == "ack":
                i = unacked.pop(rest[0], None)
                if i is not None and not acked[i]:
                    acked[i] = 1
                    acked_count += 1
                    now = time.time()
                    if last_ack and now - last_ack > gap[0]:
                        gap = (now - last_ack, last_ack, now)
                    last_ack = now
                    first_ack = first_ack or last_ack
                    if first_on_connection:
                        first_on_connection = False
                        log("first_ack", broker=f"{conn.broker[0]}:{conn.broker[1]}", n=args.first + i - 1)
            elif kind == "down":
                log("disconnected", broker=f"{conn.broker[0]}:{conn.broker[1]}", rc=rest[0], unacked=len(unacked))
                up = False
        if up:
            conn.stop(True)
        else:
            conn.stop(False)
            # Send again, in order and before anything new, whatever the lost connection had not acknowledged.
            pending.extendleft(sorted(unacked.values(), reverse=True))
            index += 1
    elapsed = (last_ack - first_ack) if first_ack and last_ack and last_ack > first_ack else 0
    summary = {
        "role": "pub", "first": args.first, "count": args.count, "acked": acked_count,
        "not_acked": ranges([args.first + i - 1 for i in range(1, args.count + 1) if not acked[i]]),
        "acked_ranges": ranges([args.first + i - 1 for i in range(1, args.count + 1) if acked[i]]),
        "seconds_first_to_last_ack": round(elapsed, 3), "acked_per_s": round(acked_count / elapsed, 1) if elapsed else None,
        "max_ack_gap_s": round(gap[0], 3), "max_ack_gap_from": gap[1] and round(gap[1], 4), "max_ack_gap_to": gap[2] and round(gap[2], 4),
        "wall_s": round(time.time() - started, 3), "events": events_out,
    }
    write_summary(args.out, summary)


def run_sub(args):
    brokers = parse_brokers(args.brokers)
    events_out = []
    log = make_logger(events_out)
    deadline = time.time() + args.time_limit
    events = queue.Queue()
    counts = collections.Counter()
    index = 0
    total = dups_flagged = 0
    first_msg = last_msg = None
    gap = (0.0, None, None)  # the longest time without a message: (seconds, from, to)
    started = time.time()
    done = False
    while not done and time.time() < deadline:
        conn, index = connect(brokers, index, args.client_id, False, events, args.keepalive, deadline, log)
        conn.client.subscribe(args.filter, qos=1)
        up = True
        while up and time.time() < deadline:
            try:
                kind, source, *rest = events.get(timeout=0.05)
            except queue.Empty:
                if args.subscribe_only:
                    continue
                idle_since = last_msg or started
                if time.time() - idle_since > args.idle_exit:
                    log("idle_exit", idle_s=args.idle_exit)
                    done = True
                    break
                continue
            if source is not conn:
                continue
            if kind == "suback":
                log("subscribed", granted=list(rest[0]))
                if args.subscribe_only:
                    done = True
                    break
            elif kind == "msg":
                payload, dup = rest
                n = int(payload[5:payload.index(b",")])
                counts[n] += 1
                total += 1
                dups_flagged += dup
                now = time.time()
                if last_msg and now - last_msg > gap[0]:
                    gap = (now - last_msg, last_msg, now)
                last_msg = now
                first_msg = first_msg or last_msg
                if args.until and len(counts) >= args.until and all(counts[i] for i in range(1, args.until + 1)):
                    log("complete", distinct=len(counts))
                    done = True
                    break
            elif kind == "down":
                log("disconnected", broker=f"{conn.broker[0]}:{conn.broker[1]}", rc=rest[0])
                up = False
        conn.stop(up)
        if not up:
            index += 1
    highest = max(counts) if counts else 0
    summary = {
        "role": "sub", "received": total, "distinct": len(counts), "highest": highest,
        "duplicates": total - len(counts), "dup_flag_set": dups_flagged,
        "missing_below_highest": ranges([n for n in range(1, highest + 1) if n not in counts]),
        "seconds_first_to_last": round((last_msg - first_msg), 3) if first_msg else None,
        "distinct_per_s": round(len(counts) / (last_msg - first_msg), 1) if first_msg and last_msg > first_msg else None,
        "max_msg_gap_s": round(gap[0], 3), "max_msg_gap_from": gap[1] and round(gap[1], 4), "max_msg_gap_to": gap[2] and round(gap[2], 4),
        "wall_s": round(time.time() - started, 3), "events": events_out, "received_ranges": ranges(sorted(counts)),
    }
    if args.acked:
        with open(args.acked) as f:
            pub = json.load(f)
        acked = [n for first, last in pub["acked_ranges"] for n in range(first, last + 1)]
        summary["acked_by_publisher"] = len(acked)
        summary["acked_but_missing"] = ranges([n for n in acked if n not in counts])
    write_summary(args.out, summary)


def run_compare(args):
    with open(args.pub) as f:
        pub = json.load(f)
    with open(args.sub) as f:
        sub = json.load(f)
    received = {n for first, last in sub["received_ranges"] for n in range(first, last + 1)}
    acked = [n for first, last in pub["acked_ranges"] for n in range(first, last + 1)]
    write_summary(None, {"acked_by_publisher": len(acked), "received_distinct": len(received),
                         "acked_but_missing": ranges([n for n in acked if n not in received]),
                         "received_not_acked": len(received.difference(acked))})


def run_forget(args):
    """Ends persistent sessions: a clean-session CONNECT with the same client id discards the stored session."""
    brokers = parse_brokers(args.brokers)
    events = queue.Queue()
    log = make_logger([])
    for client_id in args.client_ids:
        conn, _ = connect(brokers, 0, client_id, True, events, args.keepalive, time.time() + args.time_limit, log)
        conn.stop(True)


def write_summary(path, summary):
    brief = {k: v for k, v in summary.items() if k not in ("events", "acked_ranges", "received_ranges")}
    print(json.dumps(brief))
    if path:
        with open(path, "w") as f:
            json.dump(summary, f, indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="role", required=True)
    for name in ("pub", "sub"):
        p = sub.add_parser(name)
        p.add_argument("--brokers", required=True, help="host:port[,host:port...]; the first is used first")
        p.add_argument("--client-id", required=True)
        p.add_argument("--time-limit", type=float, default=60, help="seconds, hard bound of the whole run")
        p.add_argument("--keepalive", type=int, default=5)
        p.add_argument("--out", help="JSON summary file")
    pub = sub.choices["pub"]
    pub.add_argument("--count", type=int, required=True)
    pub.add_argument("--first", type=int, default=1, help="the first number (several publishers use disjoint ranges)")
    pub.add_argument("--window", type=int, default=100, help="publishes awaiting PUBACK at most")
    pub.add_argument("--rate", type=float, default=0, help="messages/s, 0 = as fast as acknowledged")
    pub.add_argument("--stations", type=int, default=100)
    pub.add_argument("--prefix-station", default="pb")
    pub.add_argument("--topic-prefix", default="probe")
    pub.add_argument("--size", type=int, default=700, help="payload bytes (about)")
    s = sub.choices["sub"]
    s.add_argument("--filter", default="probe/+/telemetry")
    s.add_argument("--until", type=int, default=0, help="stop once every number 1..UNTIL has arrived")
    s.add_argument("--idle-exit", type=float, default=10)
    s.add_argument("--acked", help="the publisher's summary: report acknowledged numbers that never arrived")
    s.add_argument("--subscribe-only", action="store_true")
    c = sub.add_parser("compare", help="acknowledged numbers (pub summary) that never arrived (sub summary)")
    c.add_argument("--pub", required=True)
    c.add_argument("--sub", required=True)
    f = sub.add_parser("forget", help="end persistent sessions (clean-session connect and disconnect)")
    f.add_argument("--brokers", required=True)
    f.add_argument("--time-limit", type=float, default=20)
    f.add_argument("--keepalive", type=int, default=5)
    f.add_argument("client_ids", nargs="+")
    args = parser.parse_args()
    {"pub": run_pub, "sub": run_sub, "compare": run_compare, "forget": run_forget}[args.role](args)


if __name__ == "__main__":
    main()
