#!/usr/bin/python3
"""netmiko_push.py — the peer in `make bench`: Netmiko (Debian's python3-netmiko) doing the same
job as netauto and the floor on the same simulated device: connect, enable, send_config_set(lines)
(when --lines is given), send_command(COMMAND), disconnect. Prints one JSON line with the time
spent inside Python from ConnectHandler to disconnect (the process wall time, interpreter start
and imports included, is measured by the caller). Exit 1 when --expect is not in the output.
Not a Netmiko test suite: one honest run of the library as its documentation shows it.

  netmiko_push.py --port N [--telnet] [--lines FILE] [--command CMD] [--expect TEXT] [--fast]
"""
import argparse
import json
import sys
import time

from netmiko import ConnectHandler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--telnet", action="store_true")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", default="lab-pass-1")
    ap.add_argument("--secret", default="lab-enable-1")
    ap.add_argument("--lines")
    ap.add_argument("--command", default="show running-config")
    ap.add_argument("--expect")
    ap.add_argument("--fast", action="store_true", help="fast_cli=True")
    a = ap.parse_args()
    lines = []
    if a.lines:
        with open(a.lines) as f:
            lines = [l.rstrip("\r\n") for l in f if l.strip()]
    t0 = time.monotonic()
    conn = ConnectHandler(device_type="cisco_ios_telnet" if a.telnet else "cisco_ios",
                          host=a.host, port=a.port, username=a.user, password=a.password,
                          secret=a.secret, fast_cli=a.fast)
    conn.enable()
    if lines:
        conn.send_config_set(lines)
    out = conn.send_command(a.command)
    conn.disconnect()
    ms = (time.monotonic() - t0) * 1000.0
    if a.expect and a.expect not in out:
        print("netmiko_push: the output lacks %r" % a.expect, file=sys.stderr)
        return 1
    print(json.dumps({"ok": True, "in_process_ms": round(ms, 3), "lines": len(lines)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
