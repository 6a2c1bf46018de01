#!/usr/bin/env python3
"""An independent check of a lab VM's browser agents (no labforge code): ttyd answers 401 without and with wrong
credentials and runs a shell with the right ones; websockify relays an RFB whose VNC server offers VNC authentication
and not None, refuses a wrong password and accepts the right one. Prints one JSON object; exit status 0 when all hold.

usage: check_agents.py TERMINAL_PORT DESKTOP_PORT USER PASSWORD VNC_PASSWORD [DEADLINE_SECONDS]
"""
import base64, json, os, socket, struct, sys, time, urllib.error, urllib.request

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes


def http_status(port, auth=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/")
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class WebSocket:
    """Just enough RFC 6455 for a client: handshake, masked binary frames out, frames in."""

    def __init__(self, port, path, protocol, headers=()):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13", f"Sec-WebSocket-Protocol: {protocol}"]
        lines += [f"{name}: {value}" for name, value in headers]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            head += chunk
        self.status = int(head.split(b" ")[1])
        self.buffer = b""

    def send(self, payload):
        mask = os.urandom(4)
        header = bytes([0x82])
        header += bytes([0x80 | len(payload)]) if len(payload) < 126 else bytes([0x80 | 126]) + struct.pack(">H", len(payload))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def frame(self):
        def exact(n):
            data = b""
            while len(data) < n:
                chunk = self.sock.recv(n - len(data))
                if not chunk:
                    raise ConnectionError("closed")
                data += chunk
            return data
        first, second = exact(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack(">H", exact(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", exact(8))[0]
        payload = exact(length)
        if first & 0x0F == 0x8:
            raise ConnectionError("close frame")
        return payload

    def read(self, n):
        while len(self.buffer) < n:
            self.buffer += self.frame()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data


def terminal_shell(port, user, password, origin=None):
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    # A browser on the terminal's own page sends its Origin; ttyd runs with --check-origin, so a page on another
    # site (origin given) gets no shell even with the credential the browser has cached.
    try:
        ws = WebSocket(port, "/ws", "tty", [("Authorization", "Basic " + auth), ("Origin", origin or f"http://127.0.0.1:{port}")])
    except (OSError, ConnectionError) as error:
        return f"refused: {error}"
    if ws.status != 101:
        return f"upgrade answered {ws.status}"
    try:
        ws.send(json.dumps({"AuthToken": auth, "columns": 80, "rows": 24}).encode())
        ws.send(b"0echo INDEPENDENT_$((6*7))\r")
    except OSError:
        return "closed"
    output = b""
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            message = ws.frame()
        except (OSError, ConnectionError, IndexError, ValueError):
            return "closed"
        if not message:
            return "closed"
        if message[:1] == b"0":
            output += message[1:]
        if b"INDEPENDENT_42" in output:
            return "shell answered"
    return "no answer"


def rfb(port, password):
    ws = WebSocket(port, "/websockify", "binary")
    banner = ws.read(12)
    ws.send(b"RFB 003.008\n")
    count = ws.read(1)[0]
    types = list(ws.read(count))
    result = {"banner": banner.decode().strip(), "types": types}
    if 2 in types:
        ws.send(bytes([2]))
        challenge = ws.read(16)
        key = bytes(int(f"{b:08b}"[::-1], 2) for b in password.encode()[:8].ljust(8, b"\0"))
        encryptor = Cipher(TripleDES(key * 3), modes.ECB()).encryptor()
        ws.send(encryptor.update(challenge) + encryptor.finalize())
        result["securityResult"] = struct.unpack(">I", ws.read(4))[0]
    return result


def main():
    terminal, desktop, user, password, vnc = sys.argv[1:6]
    deadline = time.time() + float(sys.argv[6] if len(sys.argv) > 6 else 600)
    report = {}
    while True:  # the VM boots under TCG: wait until both agents answer at all
        try:
            report["terminalNoCredentials"] = http_status(terminal)
            rfb(desktop, vnc)
            break
        except (OSError, ConnectionError, IndexError, ValueError) as error:
            if time.time() > deadline:
                print(json.dumps({"error": f"agents did not answer: {error}"}))
                return 1
            time.sleep(3)
    report["terminalWrongCredentials"] = http_status(terminal, f"{user}:{password}-wrong")
    report["terminalRightCredentials"] = http_status(terminal, f"{user}:{password}")
    report["terminalShell"] = terminal_shell(terminal, user, password)
    report["terminalForeignOrigin"] = terminal_shell(terminal, user, password, "https://attacker.example")
    report["rfbRight"] = rfb(desktop, vnc)
    report["rfbWrong"] = rfb(desktop, "x" + vnc[1:])
    ok = (report["terminalNoCredentials"] == 401 and report["terminalWrongCredentials"] == 401
          and report["terminalRightCredentials"] == 200 and report["terminalShell"] == "shell answered"
          and report["terminalForeignOrigin"] != "shell answered"
          and 1 not in report["rfbRight"]["types"] and report["rfbRight"].get("securityResult") == 0
          and report["rfbWrong"].get("securityResult") not in (None, 0))
    report["ok"] = ok
    print(json.dumps(report))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
