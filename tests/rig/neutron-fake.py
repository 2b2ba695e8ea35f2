#!/usr/bin/python3
"""FAKE Neutron for the two-hosts rig (tests/rig/two-hosts.sh): NOT neutron-server.

Nova still calls the Networking API for a server booted with networks "none"
(extensions, networks, ports). This stand-in answers those calls with empty
lists and logs every request, so the log shows what Nova asked. Nothing is
wired: no port, no network, no security group exists anywhere.

It is kept only while a real neutron-server cannot run on this rig; see the
"Neutron" entry of docs/DESIGN.md for why.

    neutron-fake.py ADDRESS PORT REQUEST_LOG
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LISTS = ("ports", "networks", "subnets", "floatingips", "security-groups",
         "security-group-rules", "trunks", "extensions", "qos", "segments")


class FakeNeutron(BaseHTTPRequestHandler):
    log_file = None

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0].rstrip("/")
        resource = path.rsplit("/", 1)[-1].removesuffix(".json")
        self.log_file.write("%s %s %s %s\n" % (time.strftime("%H:%M:%S"), self.command,
                                             self.path, body[:200].decode(errors="replace")))
        if path in ("", "/"):
            out = {"versions": [{"id": "v2.0", "status": "CURRENT", "links": []}]}
        elif resource in LISTS:
            out = {resource.replace("-", "_"): []}
        else:
            out = {}
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = answer

    def log_message(self, *args):
        pass


def main():
    address, port, log_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    FakeNeutron.log_file = open(log_path, "a", buffering=1)
    ThreadingHTTPServer((address, port), FakeNeutron).serve_forever()


if __name__ == "__main__":
    main()
