"""Test-only: runs `bertft serve` on a free port and talks to it (tests/integration/test_serve*)."""
import http.client
import json
import re
import signal
import socket
import subprocess
import threading
import time


class Server:
    """`bertft serve --model MODEL --port 0 ...`, its port read from the listening line; stderr is kept
    in `lines` (the access log, shutdown messages)."""

    def __init__(self, bertft, model, *extra, threads=1):
        self.proc = subprocess.Popen([bertft, "serve", "--model", model, "--port", "0", "--threads", str(threads),
                                      "--precision", "fp32", *extra], stderr=subprocess.PIPE, text=True)
        self.lines = []  # stderr before the listening line (notices), then after it
        for line in self.proc.stderr:
            match = re.search(r"serving .* on http://[^:]+:(\d+)", line)
            if match:
                break
            self.lines.append(line.rstrip("\n"))
        else:
            self.proc.kill()
            raise AssertionError(f"no listening line: {self.lines!r}")
        self.port = int(match.group(1))
        threading.Thread(target=self._keep_stderr, daemon=True).start()

    def _keep_stderr(self):
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def request(self, method, path, body=None, headers=None, timeout=30):
        """(status, body bytes, headers dict) over a new connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            all_headers = {"Content-Type": "application/json"} if body is not None else {}
            all_headers.update(headers or {})
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            return response.status, response.read(), dict(response.getheaders())
        finally:
            conn.close()

    def predict(self, payload, path="/predict"):
        body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
        status, data, _ = self.request("POST", path, body)
        return status, json.loads(data) if data else None

    def rss_kb(self):
        return self._status_field("VmRSS:")

    def threads(self):
        return self._status_field("Threads:")

    def _status_field(self, name):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith(name):
                return int(line.split()[1])

    def stop(self, timeout=30):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class RawConnection:
    """A socket to the server for requests written by hand; responses are read one at a time, in order."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.pending = b""

    def send(self, data):
        self.sock.sendall(data)

    def read_response(self, timeout=10):
        """(status, headers dict with lower-case names, body) of the next response (which must have a
        Content-Length), or None when the connection closes first."""
        deadline = time.monotonic() + timeout
        while True:
            head, sep, rest = self.pending.partition(b"\r\n\r\n")
            if sep:
                headers = {}
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    headers[name.decode().strip().lower()] = value.decode().strip()
                length = int(headers.get("content-length", "0"))
                if len(rest) >= length:
                    self.pending = rest[length:]
                    return int(head.split()[1]), headers, rest[:length]
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, TimeoutError, socket.timeout):
                chunk = b""
            if not chunk:
                return None
            self.pending += chunk

    def close(self):
        self.sock.close()
