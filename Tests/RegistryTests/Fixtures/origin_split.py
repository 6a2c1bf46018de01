#!/usr/bin/env python3
"""Test fixture: a registry front on 127.0.0.1 whose upload sessions live on another origin (another port), as a
registry backed by object storage hands out. The front forwards everything to --upstream, rewriting the Location of
upload answers to the other origin; with --redirect-heads it answers HEAD on blobs with a 307 to the other origin.
The other origin forwards to --upstream too, adding --inject-authorization (the storage's own access, so an
htpasswd registry accepts it) and records whether each request arrived with an Authorization header: a client must
never send the registry's credentials there. GET /__proxy/stats on the front returns those records.
Prints "LISTENING <front port>" when ready.
"""
import argparse
import http.client
import http.server
import json
import os
import signal
import sys
import threading
import urllib.parse

HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te", "trailer"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True, help="host:port of the registry")
    parser.add_argument("--inject-authorization-file", help="file holding the Authorization value the other origin adds")
    parser.add_argument("--redirect-heads", action="store_true")
    args = parser.parse_args()
    upstream_host, upstream_port = args.upstream.rsplit(":", 1)
    inject = None
    if args.inject_authorization_file:
        with open(args.inject_authorization_file) as handle:
            inject = handle.read().strip()
    lock = threading.Lock()
    stats = {"other": [], "front_authorized": 0, "front_requests": 0}
    ports = {}

    def forward(handler, host_header, authorization):
        length = int(handler.headers.get("Content-Length") or 0)
        upstream = http.client.HTTPConnection(upstream_host, int(upstream_port), timeout=300)
        upstream.putrequest(handler.command, handler.path, skip_host=True, skip_accept_encoding=True)
        upstream.putheader("Host", host_header)
        for name, value in handler.headers.items():
            if name.lower() not in HOP and name.lower() not in ("host", "authorization"):
                upstream.putheader(name, value)
        if authorization:
            upstream.putheader("Authorization", authorization)
        upstream.endheaders()
        remaining = length
        while remaining > 0:
            data = handler.rfile.read(min(remaining, 1 << 20))
            if not data:
                break
            remaining -= len(data)
            upstream.send(data)
        response = upstream.getresponse()
        body = response.read()
        upstream.close()
        return response.status, response.getheaders(), body

    def reply(handler, status, headers, body):
        handler.send_response(status)
        for name, value in headers:
            if name.lower() not in HOP and name.lower() != "content-length":
                handler.send_header(name, value)
        if handler.command == "HEAD":
            # A HEAD answer announces the length of what GET would send.
            length = next((v for n, v in headers if n.lower() == "content-length"), "0")
        else:
            length = str(len(body))
        handler.send_header("Content-Length", length)
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    def to_other(location):
        parts = urllib.parse.urlsplit(location)
        return urllib.parse.urlunsplit(("http", "127.0.0.1:%d" % ports["other"], parts.path, parts.query, ""))

    class Front(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):  # quiet; never log headers (credentials)
            pass

        def handle_any(self):
            if self.path.startswith("/__proxy/stats"):
                with lock:
                    body = json.dumps(stats).encode()
                return reply(self, 200, [("Content-Type", "application/json")], body)
            with lock:
                stats["front_requests"] += 1
                if self.headers.get("Authorization"):
                    stats["front_authorized"] += 1
            if args.redirect_heads and self.command == "HEAD" and "/blobs/sha256:" in self.path:
                return reply(self, 307, [("Location", to_other(self.path))], b"")
            status, headers, body = forward(self, self.headers.get("Host", ""), self.headers.get("Authorization"))
            if "/blobs/uploads/" in self.path or self.command == "POST":
                headers = [(n, to_other(v) if n.lower() == "location" and "/blobs/uploads/" in v else v) for n, v in headers]
            reply(self, status, headers, body)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    class Other(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def handle_any(self):
            with lock:
                stats["other"].append({"method": self.command, "path": self.path.split("?")[0],
                                       "authorization": self.headers.get("Authorization") is not None})
            status, headers, body = forward(self, "127.0.0.1:%d" % ports["other"], inject)
            reply(self, status, headers, body)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Other)
    other.daemon_threads = True
    ports["other"] = other.server_address[1]
    threading.Thread(target=other.serve_forever, daemon=True).start()
    front = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Front)
    front.daemon_threads = True
    # The test stops fixtures with SIGTERM (which a parent may have left ignored).
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print("LISTENING", front.server_address[1], flush=True)
    try:
        front.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
