#!/usr/bin/env python3
"""Test fixture: an HTTP proxy on 127.0.0.1 in front of a real registry that injects faults.

Rules (JSON list, --faults): {"method": "PATCH", "path": "/blobs/uploads/", "nth": 2, "count": 1,
"action": "status", "status": 500, "retry_after": "1"} or {"action": "drop"} (read half the request
body, then close the connection without answering; nothing reaches the registry). A rule fires on the
nth..(nth+count-1)th request matching its method and path substring. GET /__proxy/stats returns what
fired and the body bytes forwarded per method. Prints "LISTENING <port>" when ready.
"""
import argparse
import http.client
import http.server
import json
import os
import signal
import socket
import sys
import threading

HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te", "trailer"}


class State:
    def __init__(self, rules):
        self.rules = rules
        self.matches = [0] * len(rules)
        self.fired = []
        self.forwarded = {}
        self.received = {}
        self.lock = threading.Lock()

    def pick(self, method, path):
        with self.lock:
            for index, rule in enumerate(self.rules):
                if rule.get("method", method) != method or rule.get("path", "") not in path:
                    continue
                self.matches[index] += 1
                nth, count = rule.get("nth", 1), rule.get("count", 1)
                if nth <= self.matches[index] < nth + count:
                    self.fired.append({"rule": index, "method": method, "path": path.split("?")[0],
                                       "action": rule["action"]})
                    return rule
        return None

    def count(self, table, method, amount):
        with self.lock:
            table[method] = table.get(method, 0) + amount


def make_handler(state, upstream_host, upstream_port):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet; never log headers (credentials)
            pass

        def reply(self, status, body=b"", headers=()):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def handle_any(self):
            if self.path.startswith("/__proxy/stats"):
                with state.lock:
                    body = json.dumps({"fired": state.fired, "forwarded_body_bytes": state.forwarded,
                                       "received_body_bytes": state.received}).encode()
                return self.reply(200, body, [("Content-Type", "application/json")])
            length = int(self.headers.get("Content-Length") or 0)
            rule = state.pick(self.command, self.path)
            if rule and rule["action"] == "drop":
                part = self.rfile.read(max(1, length // 2)) if length else b""
                state.count(state.received, self.command, len(part))
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            if rule and rule["action"] == "status":
                remaining = length
                while remaining > 0:
                    data = self.rfile.read(min(remaining, 1 << 20))
                    if not data:
                        break
                    remaining -= len(data)
                    state.count(state.received, self.command, len(data))
                headers = [("Content-Type", "application/json")]
                if "retry_after" in rule:
                    headers.append(("Retry-After", str(rule["retry_after"])))
                body = json.dumps({"errors": [{"code": rule.get("code", "UNAVAILABLE"),
                                               "message": "injected by fault_proxy"}]}).encode()
                return self.reply(int(rule["status"]), body, headers)
            upstream = http.client.HTTPConnection(upstream_host, upstream_port, timeout=300)
            upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in HOP:
                    upstream.putheader(name, value)
            upstream.endheaders()
            remaining = length
            while remaining > 0:
                data = self.rfile.read(min(remaining, 1 << 20))
                if not data:
                    break
                remaining -= len(data)
                state.count(state.received, self.command, len(data))
                upstream.send(data)
                state.count(state.forwarded, self.command, len(data))
            response = upstream.getresponse()
            body = response.read()
            upstream.close()
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            if self.command == "HEAD":
                self.send_header("Content-Length", response.getheader("Content-Length") or "0")
            else:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True, help="host:port of the registry")
    parser.add_argument("--faults", default="[]", help="JSON list of rules")
    args = parser.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    state = State(json.loads(args.faults))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state, host, int(port)))
    server.daemon_threads = True
    # The test stops fixtures with SIGTERM (which a parent may have left ignored).
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print("LISTENING", server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
