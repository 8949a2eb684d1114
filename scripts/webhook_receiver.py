"""A local stand-in for the WeCom / DingTalk group robots (and a generic webhook) for ./run.sh.

Prints every alarm notification the server posts, one JSON line each, and answers like a robot
({"errcode":0}). Usage: /usr/bin/python3 scripts/webhook_receiver.py PORT
"""
import json
import sys
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Robot(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (the http.server naming)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1_000_000))
        try:
            shown = json.loads(body)
        except ValueError:
            shown = body.decode("utf-8", "replace")
        print(json.dumps({"at": datetime.now().isoformat(timespec="seconds"), "path": self.path, "body": shown}, ensure_ascii=False), flush=True)
        answer = b'{"errcode":0,"errmsg":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1])
    print(f"webhook receiver on http://127.0.0.1:{port}/ (wecom, dingtalk, json)", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Robot).serve_forever()
