#!/usr/bin/env python3
"""HTTPS vs plain HTTP, and X-Ray tracing on vs off, for a MOCK method under wrk (keep-alive),
all in one run. Starts `gwtui serve` (release build; demo off, account throttle lifted) with a
plain listener and a TLS listener (`[server] tls_listen`, certificate from the local dev CA),
deploys one MOCK API to stage `off` and to stage `on` (`tracingEnabled`, default sampling:
1 request/s + 5 %), then runs interleaved rounds of `wrk -t{THREADS} -c{CONNS} -d{SECS}s`:

  http  off | http  on | https off | https on

and prints medians: requests/s, p50/p99, gwtui CPU µs per request, and the ratios
https/http (tracing off) and on/off (each listener). The load average is printed before and
after (the figures mean little on a loaded box).

  cargo build --release --bin gwtui && ROUNDS=3 SECS=5 python3 benches/wrk_https_tracing.py

Environment: ROUNDS, SECS, THREADS, CONNS, CARGO_TARGET_DIR, GWTUI_BIN (another binary).
Loopback only; every loop bounded.
"""
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROUNDS = int(os.environ.get("ROUNDS", "3"))
SECS = int(os.environ.get("SECS", "5"))
THREADS = int(os.environ.get("THREADS", "2"))
CONNS = int(os.environ.get("CONNS", "32"))
TICK = os.sysconf("SC_CLK_TCK")
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, deadline=60.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"gwtui did not start listening on {port}")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def mgmt(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as resp:
        text = resp.read()
    return json.loads(text) if text else None


def wrk(url):
    cmd = ["wrk", f"-t{THREADS}", f"-c{CONNS}", f"-d{SECS}s", "--latency", url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=SECS + 30)
    if out.returncode != 0:
        sys.exit(f"wrk failed: {out.stderr}")
    text = out.stdout
    lat = {p: float(n) * UNITS[u] for p, n, u in
           re.findall(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "requests": int(re.search(r"(\d+) requests in", text).group(1)),
        "p50": lat.get("50"),
        "p99": lat.get("99"),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
    gwtui = os.environ.get("GWTUI_BIN") or os.path.join(target, "release", "gwtui")
    if not os.path.exists(gwtui):
        sys.exit(f"missing {gwtui}: cargo build --release --bin gwtui")
    work = tempfile.mkdtemp(prefix="gwtui-https-")
    http_port, tls_port = free_port(), free_port()
    conf = os.path.join(work, "gwtui.toml")
    with open(conf, "w") as f:
        f.write(f'[server]\ntls_listen = "127.0.0.1:{tls_port}"\n'
                "account_rate_limit = 1000000000.0\naccount_burst_limit = 1000000000\n"
                "[demo]\nenabled = false\n")
    proc = subprocess.Popen([gwtui, "--config", conf, "--data-dir", os.path.join(work, "data"),
                             "serve", "--listen", f"127.0.0.1:{http_port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(http_port)
        wait_port(tls_port)
        base = f"http://127.0.0.1:{http_port}"
        mock = {
            "type": "mock",
            "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "responses": {"default": {"statusCode": "200",
                                      "responseTemplates": {"application/json": '{"pets":[1,2,3]}'}}},
        }
        doc = {"openapi": "3.0.1", "info": {"title": "https-bench", "version": "1"},
               "paths": {"/mock": {"get": {"responses": {"200": {"description": "ok"}},
                                           "x-amazon-apigateway-integration": mock}}}}
        api = mgmt(base, "POST", "/restapis?mode=import", doc)["id"]
        lifted = [
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1000000000"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "1000000000"},
        ]
        for stage, tracing in (("off", False), ("on", True)):
            mgmt(base, "POST", f"/restapis/{api}/deployments",
                 {"stageName": stage, "tracingEnabled": tracing})
            mgmt(base, "PATCH", f"/restapis/{api}/stages/{stage}", {"patchOperations": lifted})
        path = f"/restapis/{api}/{{stage}}/_user_request_/mock"
        rows = [
            ("http  tracing off", f"http://127.0.0.1:{http_port}{path.format(stage='off')}"),
            ("http  tracing on", f"http://127.0.0.1:{http_port}{path.format(stage='on')}"),
            ("https tracing off", f"https://127.0.0.1:{tls_port}{path.format(stage='off')}"),
            ("https tracing on", f"https://127.0.0.1:{tls_port}{path.format(stage='on')}"),
        ]
        # Warm up (TLS sessions, pools) and check every row answers 200.
        for name, url in rows:
            r = subprocess.run(["wrk", "-t1", "-c2", "-d1s", url], capture_output=True, text=True, timeout=30)
            if r.returncode != 0 or "Non-2xx" in r.stdout:
                sys.exit(f"{name}: {r.stdout}{r.stderr}")
        print(f"load average before: {open('/proc/loadavg').read().strip()}  (cores: {os.cpu_count()})")
        results = {name: [] for name, _ in rows}
        for rnd in range(ROUNDS):
            order = rows if rnd % 2 == 0 else list(reversed(rows))
            for name, url in order:
                before = cpu_ticks(proc.pid)
                r = wrk(url)
                r["cpu_us"] = (cpu_ticks(proc.pid) - before) / TICK * 1e6 / max(r["requests"], 1)
                results[name].append(r)
        print(f"load average after:  {open('/proc/loadavg').read().strip()}")
        med = {n: {k: statistics.median(x[k] for x in rs) for k in ("rps", "p50", "p99", "cpu_us")}
               for n, rs in results.items()}
        print(f"\nwrk -t{THREADS} -c{CONNS} -d{SECS}s, {ROUNDS} interleaved rounds, medians:\n")
        print(f"| row | req/s | p50 ms | p99 ms | gwtui CPU µs/req | non-2xx |")
        print(f"|---|---|---|---|---|---|")
        for name, _ in rows:
            m = med[name]
            bad = sum(x["non2xx"] for x in results[name])
            print(f"| {name} | {m['rps']:,.0f} | {m['p50']:.2f} | {m['p99']:.2f} | {m['cpu_us']:.1f} | {bad} |")
        ratio = lambda a, b: med[a]["rps"] / med[b]["rps"]
        print()
        print(f"https / http (tracing off): {ratio('https tracing off', 'http  tracing off'):.1%} of the plain-HTTP rate")
        print(f"tracing on / off, http:     {ratio('http  tracing on', 'http  tracing off'):.1%}")
        print(f"tracing on / off, https:    {ratio('https tracing on', 'https tracing off'):.1%}")
        print("per-round rps:", json.dumps({n: [round(x["rps"]) for x in rs] for n, rs in results.items()}))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
