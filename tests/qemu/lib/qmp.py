#!/usr/bin/env python3
"""QEMU's QMP monitor, for the QEMU harness (tests/qemu/lib/common.sh).

    qmp.py SOCKET COMMAND [JSON-ARGUMENTS]
        one QMP command; prints its return as JSON (query-status: the
        status alone, e.g. "running" or "suspended").
    qmp.py watch SOCKET LOG PIDFILE KILLED ACTION [SECONDS]
        follows the guest's power events until QEMU ends: one line each in
        LOG, "SECONDS-SINCE-CONNECT WHAT" (SUSPEND, WAKEUP, SUSPEND_DISK,
        SHUTDOWN, POWERDOWN, RESET, and what the watcher itself saw and
        did). At the first SUSPEND (the guest in S3) it asks query-status
        ("status suspended"), then ACTION:
          watch  nothing more;
          wake   after SECONDS, if the guest is still suspended,
                 system_wakeup ("system_wakeup sent");
          kill   SIGKILL to QEMU (its pid in PIDFILE), a power cut while
                 in S3, and KILLED is created ("killed").

SOCKET is QEMU's "-qmp unix:SOCKET,server=on,wait=off"; both modes wait up
to 60 s for it to appear.
"""
import json
import os
import signal
import socket
import sys
import time


class Qmp:
    def __init__(self, path):
        for _ in range(600):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(path)
                break
            except OSError:
                sock.close()
                time.sleep(0.1)
        else:
            raise SystemExit(f"qmp: cannot connect to {path}")
        self.sock = sock
        self.buf = b""
        self.events = []
        self.read()  # the greeting
        self.command("qmp_capabilities")

    def read(self, timeout=None):
        """The next message; None after TIMEOUT seconds; EOFError when
        QEMU has gone."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            while b"\n" not in self.buf:
                if deadline is None:
                    self.sock.settimeout(None)
                else:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None
                    self.sock.settimeout(left)
                try:
                    data = self.sock.recv(65536)
                except socket.timeout:
                    return None
                except ConnectionResetError:
                    data = b""
                if not data:
                    raise EOFError
                self.buf += data
            line, self.buf = self.buf.split(b"\n", 1)
            if line.strip():
                return json.loads(line)

    def command(self, name, arguments=None):
        msg = {"execute": name}
        if arguments:
            msg["arguments"] = arguments
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self.read()
            if "event" in reply:
                self.events.append(reply)
            elif "error" in reply:
                raise RuntimeError(f"{name}: {reply['error'].get('desc', reply['error'])}")
            else:
                return reply.get("return")

    def next_event(self, timeout=None):
        if self.events:
            return self.events.pop(0)
        while True:
            msg = self.read(timeout)
            if msg is None or "event" in msg:
                return msg


def watch(path, log, pidfile, killed, action, seconds):
    qmp = Qmp(path)
    start = time.monotonic()
    out = open(log, "a", buffering=1)

    def note(text):
        out.write(f"{time.monotonic() - start:.1f} {text}\n")

    def status():
        s = qmp.command("query-status")["status"]
        note(f"status {s}")
        return s

    note(f"connected, on suspend: {action}{' ' + str(seconds) if action == 'wake' else ''}")
    acted = False
    try:
        while True:
            ev = qmp.next_event()
            note(ev["event"])
            if ev["event"] != "SUSPEND" or acted:
                continue
            acted = True
            s = status()
            if action == "kill":
                if s != "suspended":
                    note("not suspended: no kill")
                    continue
                with open(pidfile) as f:
                    os.kill(int(f.read().strip()), signal.SIGKILL)
                open(killed, "w").close()
                note("killed")
                return
            if action == "wake":
                deadline = time.monotonic() + seconds
                while True:
                    ev = qmp.next_event(deadline - time.monotonic())
                    if ev is None:
                        break
                    note(ev["event"])
                if status() == "suspended":
                    qmp.command("system_wakeup")
                    note("system_wakeup sent")
                else:
                    note("not suspended any more: no system_wakeup")
    except EOFError:
        note("qemu gone")


def main(argv):
    if len(argv) >= 7 and argv[1] == "watch":
        seconds = float(argv[7]) if len(argv) > 7 else 0.0
        if argv[6] not in ("watch", "wake", "kill"):
            raise SystemExit(f"qmp: unknown action {argv[6]}")
        watch(argv[2], argv[3], argv[4], argv[5], argv[6], seconds)
        return 0
    if len(argv) in (3, 4) and argv[1] != "watch":
        qmp = Qmp(argv[1])
        ret = qmp.command(argv[2], json.loads(argv[3]) if len(argv) == 4 else None)
        if argv[2] == "query-status":
            print(ret["status"])
        else:
            print(json.dumps(ret))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
