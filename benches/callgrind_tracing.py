#!/usr/bin/env python3
"""What X-Ray tracing costs per request, in instructions: a figure a shared, noisy box cannot
blur (wrk's requests/s and CPU µs move with the other processes; instruction counts do not).

Starts the release `gwtui serve` under valgrind's callgrind (demo off), deploys one MOCK method
to stage `off` and to stage `on` (`tracingEnabled`, default sampling: 1 request/s + 5 %), warms
both up, then runs interleaved phases off | on | off | on of N sequential keep-alive GETs
each. Every phase is bracketed by `callgrind_control --zero` and `--dump` (after a pause, so the
`gwtui-xray` thread's draining of that phase's traces is counted in it), and the dump's
instruction total divided by N is printed per phase, with the medians' difference: the
instructions tracing adds to a request, all threads included (the xray thread too).

  cargo build --release --bin gwtui && python3 benches/callgrind_tracing.py

Each dump is kept in the printed directory: `callgrind_annotate FILE` shows where an `on`
phase spends what an `off` phase does not.

Environment: N (requests per phase, default 2000), PHASES (default 4), CARGO_TARGET_DIR,
GWTUI_BIN (another binary). Loopback only; every loop bounded.
"""
import glob
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from callgrind_dataplane import control, dump_total  # noqa: E402

N = int(os.environ.get("N", "2000"))
PHASES = int(os.environ.get("PHASES", "4"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, deadline=120.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"gwtui did not start listening on {port}")


def mgmt(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=120) as resp:
        text = resp.read()
    return json.loads(text) if text else None


def requests(port, path, n):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for _ in range(n):
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                sys.exit(f"{path}: {resp.status}")
    finally:
        conn.close()


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
    gwtui = os.environ.get("GWTUI_BIN") or os.path.join(target, "release", "gwtui")
    if not os.path.exists(gwtui):
        sys.exit(f"missing {gwtui}: cargo build --release --bin gwtui")
    work = tempfile.mkdtemp(prefix="gwtui-callgrind-")
    port = free_port()
    conf = os.path.join(work, "gwtui.toml")
    with open(conf, "w") as f:
        f.write("[server]\naccount_rate_limit = 1000000000.0\naccount_burst_limit = 1000000000\n"
                "[demo]\nenabled = false\n")
    out_file = os.path.join(work, "callgrind.out")
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
                             gwtui, "--config", conf, "--data-dir", os.path.join(work, "data"),
                             "serve", "--listen", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        base = f"http://127.0.0.1:{port}"
        mock = {
            "type": "mock",
            "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "responses": {"default": {"statusCode": "200",
                                      "responseTemplates": {"application/json": '{"pets":[1,2,3]}'}}},
        }
        doc = {"openapi": "3.0.1", "info": {"title": "callgrind-tracing", "version": "1"},
               "paths": {"/mock": {"get": {"responses": {"200": {"description": "ok"}},
                                           "x-amazon-apigateway-integration": mock}}}}
        api = mgmt(base, "POST", "/restapis?mode=import", doc)["id"]
        for stage, tracing in (("off", False), ("on", True)):
            mgmt(base, "POST", f"/restapis/{api}/deployments",
                 {"stageName": stage, "tracingEnabled": tracing})
        path = f"/restapis/{api}/{{stage}}/_user_request_/mock"
        for stage in ("off", "on"):
            requests(port, path.format(stage=stage), 200)
        results = {"off": [], "on": []}
        for i in range(PHASES):
            stage = ("off", "on")[i % 2]
            time.sleep(0.5)
            control(proc.pid, "--zero")
            requests(port, path.format(stage=stage), N)
            # Let the xray thread (10 ms drain) and the log thread take their share.
            time.sleep(0.5)
            before = set(glob.glob(out_file + "*"))
            control(proc.pid, "--dump")
            new = sorted(set(glob.glob(out_file + "*")) - before)
            if not new:
                sys.exit("callgrind wrote no dump")
            per_request = dump_total(new[-1]) / N
            results[stage].append(per_request)
            print(f"phase {i + 1}: {stage:3}  {per_request:,.0f} instructions/request  ({new[-1]})")
        off = statistics.median(results["off"])
        on = statistics.median(results["on"])
        print(f"\n{N} requests per phase, medians: off {off:,.0f}, on {on:,.0f} instructions/request;"
              f" tracing adds {on - off:,.0f} ({(on - off) / off:.1%})")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
