#!/usr/bin/python3
"""paho-mqtt (Debian python3-paho-mqtt 1.6) peer for the interop tests.

  paho_peer.py publish   PORT TOPIC COUNT   publishes "paho-0".."paho-{COUNT-1}" at QoS 1, waits for every PUBACK
  paho_peer.py subscribe PORT TOPIC COUNT   prints SUBSCRIBED once subscribed, then "MSG qos retain payload"
                                            per message, exits 0 after COUNT messages (exit 3 after 20 s)
"""
import sys
import time

import paho.mqtt.client as mqtt

DEADLINE_S = 20


def main():
    mode, port, topic, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    client = mqtt.Client(client_id="paho-%s-%d" % (mode, time.time_ns() % 1000000), clean_session=True, protocol=mqtt.MQTTv311)
    received = []

    def on_connect(c, userdata, flags, rc):
        if rc != 0:
            print("CONNACK %d" % rc, flush=True)
            sys.exit(1)
        if mode == "subscribe":
            c.subscribe(topic, qos=1)

    def on_subscribe(c, userdata, mid, granted):
        print("SUBSCRIBED %s" % (granted,), flush=True)

    def on_message(c, userdata, msg):
        received.append(msg)
        print("MSG %d %d %s" % (msg.qos, int(msg.retain), msg.payload.decode("utf-8")), flush=True)

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    deadline = time.monotonic() + DEADLINE_S
    try:
        if mode == "publish":
            while not client.is_connected():
                if time.monotonic() > deadline:
                    return 3
                time.sleep(0.01)
            infos = [client.publish(topic, "paho-%d" % i, qos=1) for i in range(count)]
            for info in infos:
                info.wait_for_publish(timeout=max(0.1, deadline - time.monotonic()))
                if not info.is_published():
                    print("NOT ACKED mid %d" % info.mid, flush=True)
                    return 3
            print("PUBLISHED %d" % count, flush=True)
            return 0
        while len(received) < count:
            if time.monotonic() > deadline:
                return 3
            time.sleep(0.01)
        return 0
    finally:
        client.disconnect()
        client.loop_stop()


if __name__ == "__main__":
    sys.exit(main())
