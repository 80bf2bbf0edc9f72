#!/usr/bin/env python3
"""The attached console under load: `gwtui serve` (headless, admin credentials) on the demo
API, a first `gwtui attach` that runs the load generator at RATE req/s against the `dev`
stage (`:traffic RATE`), and a second `gwtui attach` — the one measured — in a 160x48 tmux
pane showing VIEW (7: logs following, 6: dashboard, 1: APIs).

Measured on the console:
- CPU: utime + stime from /proc/PID/stat over SECONDS, as % of one core;
- input latency: PRESSES presses of `p` in the logs view (pause / resume), each timed from
  the key written to a tmux control-mode client (`send-keys`) to the pane's `%output` after
  which `capture-pane` shows the toggled state ("paused" appears / disappears). That includes
  tmux's own key delivery and reading of the output, so it is an upper bound of the console's
  key -> redraw time; the same loop is first run against a trivial program (a Python script
  that redraws one line on `p`) in the same tmux setup: that is tmux's share (the
  "baseline").
- the server's rate: `gwtui_requests_total` from /metrics before and after the CPU window.

    cargo build --release
    benches/console_attach.py [BIN] [SECONDS] [VIEW_KEY] [RATE] [PRESSES]

MODE=both (default) measures, in one run: the baseline, the attached console, then `gwtui`
itself (engine + console in one process, the demo generator at RATE req/s) the same way (its
CPU then includes the gateway and the generator). MODE=attached or MODE=in-process runs one.
The load average is printed before and after each part.
"""
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time

BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.environ.get("CARGO_TARGET_DIR", "target"), "release", "gwtui")
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
VIEW = sys.argv[3] if len(sys.argv) > 3 else "7"
RATE = sys.argv[4] if len(sys.argv) > 4 else "1000"
PRESSES = int(sys.argv[5]) if len(sys.argv) > 5 else 50
CREDS = "AKIDBENCHATTACH:bench-secret"
MODE = os.environ.get("MODE", "both")
SOCK = f"gwtui-attach-bench-{os.getpid()}"


def tmux(*args):
    return subprocess.run(["tmux", "-L", SOCK, *args], capture_output=True, text=True, check=False)


def capture(target):
    return tmux("capture-pane", "-p", "-t", target).stdout


def wait_for(target, pred, what, limit=60.0):
    start = time.monotonic()
    while time.monotonic() - start < limit:
        screen = capture(target)
        if pred(screen):
            return screen
        time.sleep(0.05)
    sys.exit(f"timed out waiting for {what}:\n{capture(target)}")


def ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def load():
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def requests_total(port):
    text = subprocess.run(["curl", "-s", f"http://127.0.0.1:{port}/metrics"],
                          capture_output=True, text=True, check=False).stdout
    return sum(float(l.split()[-1]) for l in text.splitlines()
               if l.startswith("gwtui_requests_total{") or l.startswith("gwtui_requests_total "))


class Control:
    """A tmux control-mode client on a session: keys are sent through its stdin (no process
    started per key) and every `%output` of the pane arrives timestamped by a reader thread."""

    def __init__(self, session):
        self.p = subprocess.Popen(["tmux", "-L", SOCK, "-C", "attach", "-t", session],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.command("refresh-client -C 160x48")

    def _read(self):
        for line in self.p.stdout:
            self.lines.put((time.monotonic(), line))

    def command(self, text):
        self.p.stdin.write(text.encode() + b"\n")

    def drain(self):
        while True:
            try:
                self.lines.get_nowait()
            except queue.Empty:
                return

    def close(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        self.p.kill()
        self.p.wait(timeout=10)


def press_latencies(target, presses):
    """`p` presses, each timed from the key written to tmux (control mode) to the pane's
    `%output` after which `capture-pane` shows the toggled "paused (+" state. The capture runs
    after each output, outside the timed span; tmux's reading of the key and of the program's
    output is inside it (the baseline measures that share)."""
    control = Control(target)
    try:
        latencies = []
        for i in range(presses):
            want_paused = i % 2 == 0
            time.sleep(0.05)
            control.drain()
            start = time.monotonic()
            control.command(f"send-keys -t {target} p")
            while True:
                try:
                    at, line = control.lines.get(timeout=5)
                except queue.Empty:
                    sys.exit(f"{target}: press {i}: no output within 5 s")
                if not line.startswith(b"%output "):
                    continue
                if ("paused (+" in capture(target)) == want_paused:
                    break
                if at - start > 5:
                    sys.exit(f"{target}: press {i}: no redraw within 5 s")
            latencies.append((at - start) * 1000)
    finally:
        control.close()
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    return f"p50 {p(0.50):.1f} ms, p99 {p(0.99):.1f} ms, max {latencies[-1]:.1f} ms"


TRIVIAL = r"""
import os, sys, termios, tty
tty.setraw(0)
paused = False
def draw():
    os.write(1, b"\x1b[H\x1b[2J" + (b"paused (+0)" if paused else b"running"))
draw()
while True:
    c = os.read(0, 1)
    if c == b"p":
        paused = not paused
        draw()
    elif c in (b"q", b""):
        break
"""


def baseline():
    """tmux's own key -> capture time, against a program that redraws at once."""
    tmux("-f", "/dev/null", "new-session", "-d", "-s", "trivial", "-x", "160", "-y", "48",
         sys.executable, "-c", TRIVIAL)
    wait_for("trivial", lambda s: "running" in s, "the trivial program")
    print(f"[{load()}]")
    print(f"baseline (trivial program, same tmux path), {PRESSES} presses: "
          f"{press_latencies('trivial', PRESSES)}", flush=True)
    tmux("kill-session", "-t", "trivial")


def measure(mode, target, pid, port):
    time.sleep(3)  # the first loads, and the traffic reaching its rate
    hz = os.sysconf("SC_CLK_TCK")
    n0 = requests_total(port)
    t0, w0 = ticks(pid), time.monotonic()
    time.sleep(SECONDS)
    t1, w1 = ticks(pid), time.monotonic()
    n1 = requests_total(port)
    cpu = (t1 - t0) / hz
    print(f"[{load()}]")
    print(f"{mode} console CPU: {cpu:.3f} s over {w1 - w0:.1f} s = "
          f"{100 * cpu / (w1 - w0):.2f}% of one core (view {VIEW}, {RATE} req/s asked; "
          f"the server counted {(n1 - n0) / (w1 - w0):.0f} req/s meanwhile)", flush=True)
    # Input latency in the logs view: `p` toggles "paused" in the title.
    tmux("send-keys", "-t", target, "7")
    wait_for(target, lambda s: "<logs>" in s, "the logs view")
    print(f"{mode} key -> redraw (tmux control mode), {PRESSES} presses: "
          f"{press_latencies(target, PRESSES)}", flush=True)


def attached(work):
    port = free_port()
    config = os.path.join(work, "config.toml")
    with open(config, "w") as f:
        f.write("[demo]\ntraffic = 0.0\n")
    server = subprocess.Popen(
        [BIN, "--data-dir", os.path.join(work, "data"), "--config", config, "serve",
         "--listen", f"127.0.0.1:{port}", "--admin-credentials", CREDS],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit("gwtui serve did not start")
                time.sleep(0.05)
        attach = [BIN, "--config", config, "attach", f"http://127.0.0.1:{port}",
                  "--admin-credentials", CREDS]
        tmux("-f", "/dev/null", "new-session", "-d", "-s", "load", "-x", "160", "-y", "48",
             *attach)
        tmux("new-session", "-d", "-s", "measured", "-x", "160", "-y", "48", *attach)
        for target in ("load", "measured"):
            wait_for(target, lambda s: "PetStore demo" in s, f"{target}: the demo")
        tmux("send-keys", "-t", "load", "Enter", "3")
        wait_for("load", lambda s: "stage dev" in s, "load: stage dev")
        tmux("send-keys", "-t", "load", ":")
        tmux("send-keys", "-t", "load", "-l", f"traffic {RATE}")
        tmux("send-keys", "-t", "load", "Enter")
        wait_for("load", lambda s: f"traffic {RATE}/s to dev: done" in s, "load: traffic on")
        tmux("send-keys", "-t", "measured", "Enter", VIEW)
        pid = int(tmux("display-message", "-p", "-t", "measured", "#{pane_pid}").stdout.strip())
        measure("attached", "measured", pid, port)
    finally:
        tmux("kill-session", "-t", "measured")
        tmux("kill-session", "-t", "load")
        server.terminate()
        server.wait(timeout=10)


def in_process(work):
    port = free_port()
    config = os.path.join(work, "inprocess.toml")
    with open(config, "w") as f:
        f.write(f"[demo]\ntraffic = {RATE}\n")
    tmux("-f", "/dev/null", "new-session", "-d", "-s", "inproc", "-x", "160", "-y", "48", BIN,
         "--data-dir", os.path.join(work, "data2"), "--config", config,
         "--listen", f"127.0.0.1:{port}")
    try:
        wait_for("inproc", lambda s: "PetStore demo" in s, "in-process: the demo")
        tmux("send-keys", "-t", "inproc", "Enter", VIEW)
        pid = int(tmux("display-message", "-p", "-t", "inproc", "#{pane_pid}").stdout.strip())
        measure("in-process", "inproc", pid, port)
    finally:
        tmux("send-keys", "-t", "inproc", "q")
        time.sleep(1)
        tmux("kill-session", "-t", "inproc")


def main():
    work = tempfile.mkdtemp()
    print(f"{BIN}: {SECONDS:.0f} s per console, view {VIEW}, {RATE} req/s, {PRESSES} presses",
          flush=True)
    try:
        baseline()
        if MODE in ("both", "attached"):
            attached(work)
        if MODE in ("both", "in-process"):
            in_process(work)
    finally:
        tmux("kill-server")


if __name__ == "__main__":
    main()
