#!/usr/bin/env python3
"""A local webhook receiver for trying TheOpenMoney's webhooks (Python 3 standard library only).

Usage: python3 docs/webhooks/receive.py <port> '<whsec_... secret>'
Listens on 127.0.0.1:<port>, verifies every POST's TOM-Signature with verify.py, prints the event
(id, type, and the order's status or the ledger row's type) and answers 200, or 400 when the
signature does not verify. Ctrl+C stops it.
"""
import http.server
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from verify import verify  # noqa: E402


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    port, secret = int(sys.argv[1]), sys.argv[2]

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            valid = verify(self.headers.get("TOM-Signature", ""), body, secret)
            event = json.loads(body) if valid else {}
            data = event.get("data", {})
            detail = data.get("order", {}).get("status") or data.get("transaction", {}).get("type") or ""
            print(f"{'OK ' if valid else 'BAD'} {self.headers.get('TOM-Event-Id')} {self.headers.get('TOM-Event-Type')} {detail}", flush=True)
            self.send_response(200 if valid else 400)
            self.end_headers()

        def log_message(self, *args):
            pass

    print(f"listening on http://127.0.0.1:{port}/ (Ctrl+C stops)", flush=True)
    try:
        http.server.ThreadingHTTPServer(("127.0.0.1", port), Receiver).serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
