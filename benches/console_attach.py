#!/usr/bin/env python3
"""The attached console under load: `gwtui serve` (headless, admin credentials) on the demo
API, a first `gwtui attach` that runs the load generator at RATE req/s against the `dev`
stage (`:traffic RATE`), and a second `gwtui attach` — the one measured — in a 160x48 tmux
pane showing VIEW (7: logs following, 6: dashboard, 1: APIs).

Measured on the second console:
- CPU: utime + stime from /proc/PID/stat over SECONDS, as % of one core;
- input latency: PRESSES presses of `p` in the logs view (pause / resume), each timed from
  `tmux send-keys` to the pane showing the toggled state ("paused" appears / disappears),
  polled with `capture-pane` every millisecond. That includes tmux's own key delivery and
  capture time, so it is an upper bound of the console's key -> redraw time.

    cargo build --release
    benches/console_attach.py [BIN] [SECONDS] [VIEW_KEY] [RATE] [PRESSES]

With MODE=in-process the measured console is `gwtui` itself (engine + console in one
process, the demo generator at RATE req/s), measured the same way, for comparison (its CPU then
includes the gateway and the generator).
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.environ.get("CARGO_TARGET_DIR", "target"), "release", "gwtui")
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
VIEW = sys.argv[3] if len(sys.argv) > 3 else "7"
RATE = sys.argv[4] if len(sys.argv) > 4 else "1000"
PRESSES = int(sys.argv[5]) if len(sys.argv) > 5 else 50
CREDS = "AKIDBENCHATTACH:bench-secret"
MODE = os.environ.get("MODE", "attached")
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


def main():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    work = tempfile.mkdtemp()
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
        if MODE == "in-process":
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port2 = s.getsockname()[1]
            config2 = os.path.join(work, "inprocess.toml")
            with open(config2, "w") as f:
                f.write(f"[demo]\ntraffic = {RATE}\n")
            tmux("new-session", "-d", "-s", "measured", "-x", "160", "-y", "48", BIN,
                 "--data-dir", os.path.join(work, "data2"), "--config", config2,
                 "--listen", f"127.0.0.1:{port2}")
            wait_for("measured", lambda s: "PetStore demo" in s, "measured: the demo")
        else:
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
        time.sleep(3)  # the first loads, and the traffic reaching its rate
        pid = int(tmux("display-message", "-p", "-t", "measured", "#{pane_pid}").stdout.strip())
        hz = os.sysconf("SC_CLK_TCK")
        t0, w0 = ticks(pid), time.monotonic()
        time.sleep(SECONDS)
        t1, w1 = ticks(pid), time.monotonic()
        cpu = (t1 - t0) / hz
        print(f"{MODE} console CPU: {cpu:.3f} s over {w1 - w0:.1f} s = "
              f"{100 * cpu / (w1 - w0):.2f}% of one core (view {VIEW}, {RATE} req/s)")
        served = subprocess.run(
            ["curl", "-s", f"http://127.0.0.1:{port}/metrics"], capture_output=True, text=True,
            check=False).stdout
        count = sum(float(l.split()[-1]) for l in served.splitlines()
                    if l.startswith("gwtui_requests_total{") or l.startswith("gwtui_requests_total "))
        if count:
            print(f"server counted {count:.0f} requests in total")
        # Input latency in the logs view: `p` toggles "paused" in the title.
        tmux("send-keys", "-t", "measured", "7")
        wait_for("measured", lambda s: "<logs>" in s, "the logs view")
        latencies = []
        for i in range(PRESSES):
            want_paused = i % 2 == 0
            start = time.monotonic()
            tmux("send-keys", "-t", "measured", "p")
            while True:
                shown = "paused (+" in capture("measured")
                if shown == want_paused:
                    break
                if time.monotonic() - start > 5:
                    sys.exit(f"press {i}: no redraw within 5 s")
                time.sleep(0.001)
            latencies.append((time.monotonic() - start) * 1000)
        latencies.sort()
        p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
        print(f"key -> redraw (tmux send-keys to capture-pane), {PRESSES} presses: "
              f"p50 {p(0.50):.1f} ms, p99 {p(0.99):.1f} ms, max {latencies[-1]:.1f} ms")
    finally:
        tmux("kill-server")
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
