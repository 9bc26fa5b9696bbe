"""webdriver.py — a small W3C WebDriver client for the web page's end-to-end tests: starts
Debian's chromedriver (package chromium-driver) on a free loopback port, opens one headless
Chromium session, and offers what the tests need (open a URL, find, type, click, run a script,
wait for a condition with a deadline, save a screenshot). Plain HTTP + JSON with the standard
library; no selenium, no npm. Not a test itself (run.sh only runs test_*.py); the driver and the
browser are stopped at exit, even when the test fails."""

import atexit
import base64
import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def find_browser():
    """(chromium, chromedriver) paths, or None when either is missing."""
    c = shutil.which("chromium") or shutil.which("chromium-browser")
    d = shutil.which("chromedriver")
    return (c, d) if c and d else None


class WebDriverError(Exception):
    pass


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Browser:
    def __init__(self, width=1280, height=900, timeout=60):
        found = find_browser()
        if not found:
            raise WebDriverError("chromium or chromedriver not installed")
        self.chromium, self.driver = found
        self.dir = tempfile.mkdtemp(prefix="netauto-ui-")
        self.port = _free_port()
        self.log = open(os.path.join(self.dir, "chromedriver.log"), "w")
        self.proc = subprocess.Popen([self.driver, f"--port={self.port}", "--allowed-ips=127.0.0.1"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        atexit.register(self.quit)
        deadline = time.time() + timeout
        while True:
            try:
                if self._req("GET", "/status")["value"].get("ready"):
                    break
            except (OSError, WebDriverError, http.client.HTTPException):
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                raise WebDriverError("chromedriver did not start")
            time.sleep(0.05)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            # netautod's certificate is self-signed (the tests check the page, not the PKI)
            "acceptInsecureCerts": True,
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {"binary": self.chromium, "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", f"--user-data-dir={self.dir}/profile",
                "--no-first-run", "--disable-extensions"]}}}}
        r = self._req("POST", "/session", caps, timeout=timeout)
        self.sid = r["value"]["sessionId"]

    def _req(self, method, path, body=None, timeout=60):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = json.dumps(body if body is not None else {}).encode() if method == "POST" else None
            c.request(method, path, body=data, headers={"Content-Type": "application/json"})
            r = c.getresponse()
            payload = json.loads(r.read() or b"null")
        finally:
            c.close()
        if r.status >= 400:
            v = (payload or {}).get("value", {})
            raise WebDriverError(f"{method} {path}: {v.get('error')}: {v.get('message', '')[:300]}")
        return payload

    def cmd(self, method, path, body=None, timeout=60):
        return self._req(method, f"/session/{self.sid}{path}", body, timeout)["value"]

    # ---- what the tests use -----------------------------------------------------------------
    def get(self, url):
        self.cmd("POST", "/url", {"url": url})

    def js(self, script, *args):
        """Run script (a function body; `arguments` holds args) and return its value."""
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def js_async(self, script, *args, timeout=60):
        """Run an async script: it calls arguments[arguments.length - 1](value) when done."""
        self.cmd("POST", "/timeouts", {"script": int(timeout * 1000)})
        return self.cmd("POST", "/execute/async", {"script": script, "args": list(args)},
                        timeout=timeout + 10)

    def find(self, css):
        return self.cmd("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def exists(self, css):
        return self.js("return document.querySelector(arguments[0]) !== null", css)

    def type(self, css, text, clear=True):
        el = self.find(css)
        if clear:
            self.cmd("POST", f"/element/{el}/clear")
        self.cmd("POST", f"/element/{el}/value", {"text": text})

    def click(self, css):
        self.cmd("POST", f"/element/{self.find(css)}/click")

    def text(self, css):
        return self.js("const e = document.querySelector(arguments[0]); return e ? e.innerText : null", css)

    def wait(self, script, *args, timeout=30, step=0.05):
        """Poll a script until it returns something truthy (returned); None at the deadline."""
        deadline = time.time() + timeout
        while True:
            v = self.js(script, *args)
            if v or time.time() > deadline:
                return v or None
            time.sleep(step)

    def wait_css(self, css, timeout=30):
        return self.wait("return document.querySelector(arguments[0]) !== null", css, timeout=timeout)

    def screenshot(self, path):
        png = base64.b64decode(self.cmd("GET", "/screenshot"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(png)
        return len(png)

    def console(self):
        """The browser's console messages since the last call (CSP violations show up here)."""
        try:
            return self._req("POST", f"/session/{self.sid}/se/log", {"type": "browser"})["value"]
        except WebDriverError:
            return []

    def quit(self):
        if getattr(self, "proc", None) is None:
            return
        try:
            if getattr(self, "sid", None):
                self._req("DELETE", f"/session/{self.sid}", timeout=10)
        except (OSError, WebDriverError, http.client.HTTPException):
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
