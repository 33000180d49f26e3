#!/usr/bin/env python3
"""Bench webhook receiver, in its own process (not sharing a GIL with the load generator): listens on
127.0.0.1:<port>, answers 200 at once, and appends "<event id> <arrival unix s> <event created_at>" per
POST to <out file>. Stops on SIGTERM."""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, out_path = int(sys.argv[1]), sys.argv[2]
out = open(out_path, "a", buffering=1)


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        at = time.time()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        event = json.loads(body)
        out.write(f"{event['id']} {at} {event['created_at']}\n")

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Receiver).serve_forever()
