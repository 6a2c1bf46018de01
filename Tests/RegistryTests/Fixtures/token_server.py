#!/usr/bin/env python3
"""Test fixture: a bearer-token endpoint on 127.0.0.1 for docker-registry's `auth: token` (distribution
token spec). GET /token?service=&scope=… with HTTP basic auth (--user/--password) or POST /token with
grant_type=refresh_token (--refresh-token) answers an RS256 JWT signed with --key, carrying its
--cert in the x5c header. --stale-first makes the first token already expired while announcing a long
lifetime, so a client must refresh it on the registry's 401. GET /stats counts requests. Signing uses
`openssl dgst` (no Python packages needed). Prints "LISTENING <port>" when ready.
"""
import argparse
import base64
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--key", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password-file", required=True, help="file holding the password (not an argument)")
    parser.add_argument("--refresh-token-file", help="file holding an accepted refresh token")
    parser.add_argument("--stale-first", action="store_true")
    args = parser.parse_args()
    with open(args.password_file) as handle:
        password = handle.read().strip()
    refresh_token = None
    if args.refresh_token_file:
        with open(args.refresh_token_file) as handle:
            refresh_token = handle.read().strip()
    with open(args.cert) as handle:
        der = "".join(line.strip() for line in handle if not line.startswith("-----"))
    stats = {"requests": 0, "granted": 0, "refused": 0, "grants": []}
    lock = threading.Lock()

    def sign(claims):
        header = {"alg": "RS256", "typ": "JWT", "x5c": [der]}
        signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", args.key], input=signing_input,
                                   capture_output=True, check=True).stdout
        return signing_input.decode() + "." + b64url(signature)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def reply(self, status, document):
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/stats":
                with lock:
                    return self.reply(200, stats)
            query = urllib.parse.parse_qs(url.query)
            expected = "Basic " + base64.b64encode(f"{args.user}:{password}".encode()).decode()
            if self.headers.get("Authorization") != expected:
                return self.refuse()
            self.grant(query.get("scope", []), query.get("service", [""])[0])

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            if form.get("grant_type") != ["refresh_token"] or refresh_token is None \
                    or form.get("refresh_token") != [refresh_token]:
                return self.refuse()
            scopes = " ".join(form.get("scope", [])).split()
            self.grant(scopes, form.get("service", [""])[0])

        def refuse(self):
            with lock:
                stats["requests"] += 1
                stats["refused"] += 1
            self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "invalid username or password"}]})

        def grant(self, scopes, service):
            access = []
            for scope in scopes:
                parts = scope.split(":")
                if len(parts) == 3:
                    access.append({"type": parts[0], "name": parts[1], "actions": parts[2].split(",")})
            now = int(time.time())
            with lock:
                stats["requests"] += 1
                stats["granted"] += 1
                stats["grants"].append(scopes)
                stale = args.stale_first and stats["granted"] == 1
            offset = -7200 if stale else 0
            claims = {"iss": args.issuer, "sub": args.user, "aud": args.service, "exp": now + offset + 600,
                      "nbf": now + offset - 10, "iat": now + offset, "jti": str(uuid.uuid4()), "access": access}
            token = sign(claims)
            self.reply(200, {"token": token, "access_token": token, "expires_in": 600})

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
