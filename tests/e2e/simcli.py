"""simcli.py — minimal wire-level clients for end-to-end tests of netauto-sim: a raw Telnet
client (plain socket; answers option negotiation by refusing, like telnetlib; records every
byte received, IAC sequences stripped) and an SSH shell over paramiko, both with expect() that
waits for a regex with a deadline. Not netauto's drivers: these exist to look at the wire
independently of them.

    c = TelnetClient("127.0.0.1", port)
    c.expect(rb"Username: ")
    c.send(b"admin\\r\\n")
"""
import re
import socket
import time

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240


class Closed(Exception):
    pass


class _Expect:
    """Shared buffer + expect(). Subclasses implement _recv(timeout) -> bytes ('' = EOF)."""

    def __init__(self):
        self.buf = b""      # everything not yet consumed by expect()
        self.raw = b""      # every data byte ever received
        self.eof = False
        self.first_byte_at = None

    def _feed(self, data):
        if data and self.first_byte_at is None:
            self.first_byte_at = time.monotonic()
        self.buf += data
        self.raw += data

    def expect(self, pattern, timeout=10.0):
        """Wait for pattern (bytes regex); return the text up to and including the match."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                out = self.buf[:m.end()]
                self.buf = self.buf[m.end():]
                return out
            if self.eof:
                raise Closed("EOF while waiting for %r; got %r" % (pattern, self.buf[-300:]))
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no %r within %.1f s; got %r" % (pattern, timeout,
                                                                   self.buf[-300:]))
            self._recv(min(left, 0.5))

    def read_for(self, seconds):
        """Collect whatever arrives during `seconds`; returns it (also consumed)."""
        deadline = time.monotonic() + seconds
        while not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._recv(min(left, 0.2))
        out, self.buf = self.buf, b""
        return out

    def wait_eof(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not self.eof and time.monotonic() < deadline:
            self._recv(min(0.2, max(0.0, deadline - time.monotonic())))
        return self.eof


class TelnetClient(_Expect):
    def __init__(self, host, port, timeout=10.0):
        super().__init__()
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.connected_at = time.monotonic()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.negotiation = []   # (cmd, option) received
        self._state = 0
        self._cmd = 0

    def _recv(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            return
        self._feed(self._strip(data))

    def _strip(self, data):
        out = bytearray()
        for b in data:
            if self._state == 0:
                if b == IAC:
                    self._state = 1
                else:
                    out.append(b)
            elif self._state == 1:
                if b in (DO, DONT, WILL, WONT):
                    self._cmd = b
                    self._state = 2
                elif b == SB:
                    self._state = 3
                elif b == IAC:
                    out.append(b)
                    self._state = 0
                else:
                    self._state = 0
            elif self._state == 2:
                self.negotiation.append((self._cmd, b))
                reply = DONT if self._cmd == WILL else WONT if self._cmd == DO else None
                if reply:
                    self.sock.sendall(bytes([IAC, reply, b]))
                self._state = 0
            elif self._state == 3:
                if b == IAC:
                    self._state = 4
            elif self._state == 4:
                self._state = 0 if b == SE else 3
        return bytes(out)

    def send(self, data):
        self.sock.sendall(data)

    def login(self, user="admin", password="lab-pass-1", prompt=rb"[>#] ?$"):
        self.expect(rb"(Username|login): $")
        self.send(user.encode() + b"\r\n")
        self.expect(rb"Password: $")
        self.send(password.encode() + b"\r\n")
        return self.expect(prompt)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class SshShell(_Expect):
    """An interactive shell over paramiko (PTY 80x24 unless given)."""

    def __init__(self, host, port, user="admin", password="lab-pass-1", width=80, height=24,
                 timeout=10.0, **kw):
        super().__init__()
        import paramiko
        self.client = paramiko.SSHClient()
        self.client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        self.client.connect(host, port=port, username=user, password=password,
                            look_for_keys=False, allow_agent=False, timeout=timeout,
                            banner_timeout=timeout, auth_timeout=timeout, **kw)
        self.chan = self.client.invoke_shell(width=width, height=height)

    def _recv(self, timeout):
        self.chan.settimeout(timeout)
        try:
            data = self.chan.recv(65536)
        except socket.timeout:
            return
        if not data:
            self.eof = True
            return
        self._feed(data)

    def send(self, data):
        self.chan.sendall(data)

    def close(self):
        try:
            self.client.close()
        except Exception:  # noqa: BLE001
            pass
