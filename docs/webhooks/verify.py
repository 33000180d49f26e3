#!/usr/bin/env python3
"""Verify TheOpenMoney's TOM-Signature webhook header (Python 3 standard library only).

Usage: python3 verify.py '<TOM-Signature header>' '<whsec_... secret>' <file with the raw body>
Exit status 0 when the signature is valid, 1 when it is not, 2 on wrong usage.
"""
import hashlib
import hmac
import sys
import time


def verify(header, raw_body, secret, tolerance_seconds=300):
    """raw_body: the request body bytes exactly as received; secret: the whole whsec_... string."""
    parts = [part.strip().partition("=") for part in header.split(",")]
    timestamps = [value.strip() for name, _, value in parts if name.strip() == "t"]
    signatures = [value.strip() for name, _, value in parts if name.strip() == "v1"]
    if len(timestamps) != 1 or not signatures:
        return False
    t = timestamps[0]
    if not (t.isascii() and t.isdigit() and len(t) <= 12) or abs(time.time() - int(t)) > tolerance_seconds:
        return False
    expected = hmac.new(secret.encode(), t.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    return any(s.isascii() and hmac.compare_digest(expected, s) for s in signatures)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[3], "rb") as body:
        sys.exit(0 if verify(sys.argv[1], body.read(), sys.argv[2]) else 1)
