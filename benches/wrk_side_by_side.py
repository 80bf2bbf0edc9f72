#!/usr/bin/env python3
"""Data-plane speed against real load generators, side by side in one run.

Started by benches/wrk_side_by_side.sh (which installs wrk and nginx and builds the release
binaries). Starts, on loopback ports only:
  - bare hyper "hello" (examples/hyper_hello.rs),
  - nginx static (`return 200 "hello"`) and nginx as a keepalive reverse proxy in front of it
    (two separate nginx instances, so each one's CPU is read on its own),
  - `gwtui serve` (demo off, account throttle lifted) with a bench API: MOCK, HTTP_PROXY to the
    nginx static server, and the MOCK on a stage with cache hits + metrics + JSON access log;
then runs interleaved rounds of `wrk -t2 -c32 -d{secs}s` per row, reads each server's CPU time
from /proc before and after, and prints one table: rps, p50/p99, server CPU µs per request
(both hops for the proxy rows), with ratios to bare hyper and to nginx proxy. Then an unloaded
`wrk -t1 -c1` p50 for nginx direct, nginx proxy and gwtui HTTP_PROXY.

Environment: ROUNDS, SECS, THREADS, CONNS; ROWS (comma-separated substrings: only the rows whose
name contains one); GWTUI_BASELINE (another gwtui binary, e.g. a copy of the release build before a
change: it is started the same way and its MOCK and HTTP_PROXY rows run interleaved with the
others, for A/B in one run); GWTUI_BIN (the gwtui binary to measure, default the release build in
the target dir); GWTUI_RUNTIME and the other GWTUI_* switches are passed to both gwtui processes.

Every loop is bounded (rounds × rows × seconds); nothing leaves 127.0.0.1.
"""

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROUNDS = int(os.environ.get("ROUNDS", "3"))
SECS = int(os.environ.get("SECS", "10"))
THREADS = int(os.environ.get("THREADS", "2"))
CONNS = int(os.environ.get("CONNS", "32"))
TICK = os.sysconf("SC_CLK_TCK")


def nginx_conf(work, name, server_block, single_process=False):
    """Writes `{work}/{name}/nginx.conf` around `server_block`; returns (conf, its directory).
    `single_process`: no master, one worker (under callgrind or strace one process does the
    work); else two workers."""
    d = os.path.join(work, name)
    os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
    conf = os.path.join(d, "nginx.conf")
    procs = "master_process off;\nworker_processes 1;" if single_process else "worker_processes 2;"
    with open(conf, "w") as f:
        f.write(f"""{procs}
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp;
  uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
  keepalive_requests 1000000;
  {server_block}
}}
""")
    return conf, d


def gwtui_and_tools(*tools):
    """The gwtui binary to measure (GWTUI_BIN, else the release build in CARGO_TARGET_DIR or
    ./target); exits naming what is missing among it and `tools`."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
    gwtui = os.environ.get("GWTUI_BIN") or os.path.join(target, "release", "gwtui")
    for tool in tools:
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            sys.exit(f"missing {tool}")
    if not os.path.exists(gwtui):
        sys.exit(f"missing {gwtui}: cargo build --release --bin gwtui")
    return gwtui


def spawner(procs):
    """A `spawn(cmd)` that starts `cmd` quietly and keeps it in `procs` (to stop at the end)."""
    def spawn(cmd, **kw):
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
        procs.append(p)
        return p
    return spawn


def proxy_block(port, backend_port):
    return f"""upstream backend {{ server 127.0.0.1:{backend_port}; keepalive 64; }}
  server {{ listen 127.0.0.1:{port};
    location / {{ proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }} }}"""


def static_block(port):
    return f"""server {{ listen 127.0.0.1:{port};
    location / {{ default_type text/plain; return 200 "hello"; }} }}"""


def start_proxy_pair(work, spawn, single_process=False):
    """Starts, on free loopback ports, nginx static (`return 200 "hello"`) and nginx as a
    keepalive reverse proxy in front of it (`keepalive 64`, HTTP/1.1, `Connection ""`); returns
    (static port, proxy port, static process, proxy process). `single_process`: see nginx_conf."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    static, proxy = free_port(), free_port()
    static_conf, static_dir = nginx_conf(work, "static", static_block(static), single_process)
    proxy_conf, proxy_dir = nginx_conf(work, "proxy", proxy_block(proxy, static), single_process)
    static_p = spawn([nginx, "-c", static_conf, "-p", static_dir])
    proxy_p = spawn([nginx, "-c", proxy_conf, "-p", proxy_dir])
    return static, proxy, static_p, proxy_p


def start_gwtui(work, spawn, binary, port, name="gwtui"):
    """Starts `gwtui serve` (`binary`) on 127.0.0.1:`port` with the demo off and the account
    throttle lifted, its data dir `{work}/{name}-data`; returns the process."""
    conf = os.path.join(work, "gwtui.toml")
    with open(conf, "w") as f:
        f.write("[server]\naccount_rate_limit = 1000000000.0\naccount_burst_limit = 1000000000\n"
                "[demo]\nenabled = false\n")
    return spawn([binary, "--config", conf, "--data-dir", os.path.join(work, f"{name}-data"),
                  "serve", "--listen", f"127.0.0.1:{port}"])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, what, deadline=30.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{what} did not start listening on {port}")


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except OSError:
            pass
    return total


def ctx_switches(pids):
    """Voluntary + involuntary context switches of every thread of `pids` so far."""
    total = 0
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/status") as f:
                    for line in f:
                        if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                            total += int(line.split()[1])
            except OSError:
                pass
    return total


def children(pid):
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except OSError:
        return []
    return [int(p) for p in out.split()]


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_wrk(text):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    lat = {}
    for pct, num, unit in re.findall(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", text, re.M):
        lat[pct] = float(num) * UNITS[unit]
    total = int(re.search(r"(\d+) requests in", text).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    return {
        "rps": rps,
        "p50": lat.get("50"),
        "p99": lat.get("99"),
        "requests": total,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": errors.group(1) if errors else "",
    }


def wrk(url, threads, conns, secs, headers=()):
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{secs}s", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=secs + 30)
    if out.returncode != 0:
        sys.exit(f"wrk failed: {out.stderr}")
    return parse_wrk(out.stdout)


def mgmt(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as resp:
        text = resp.read()
    return json.loads(text) if text else None


def bench_api(backend):
    def method(integration, cache_key=False):
        m = {
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": integration,
        }
        if cache_key:
            m["parameters"] = [{"name": "id", "in": "query", "schema": {"type": "string"}}]
        return {"get": m}

    mock = {
        "type": "mock",
        "requestTemplates": {"application/json": '{"statusCode": 200}'},
        "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": '{"pets":[1,2,3]}'}}},
    }
    cached = dict(mock, cacheKeyParameters=["method.request.querystring.id"])
    return {
        "openapi": "3.0.1",
        "info": {"title": "wrk-bench", "version": "1"},
        "paths": {
            "/mock": method(mock),
            "/cached": method(cached, cache_key=True),
            "/proxy": method({"type": "http_proxy", "httpMethod": "GET", "uri": f"http://{backend}/"}),
        },
    }


def setup_bench(base, backend):
    """Imports the bench API into the gwtui at `base` (HTTP_PROXY to `backend`), deploys stage
    `bench` (throttling lifted) and stage `cached` (cache on, JSON access log), and returns the
    invoke URL pattern with `{stage}` and `{path}` left to fill."""
    api = mgmt(base, "POST", "/restapis?mode=import", bench_api(backend))
    api_id = api["id"]
    lifted = [
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1000000000"},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "1000000000"},
    ]
    mgmt(base, "POST", f"/restapis/{api_id}/deployments", {"stageName": "bench"})
    mgmt(base, "PATCH", f"/restapis/{api_id}/stages/bench", {"patchOperations": lifted})
    mgmt(base, "POST", f"/restapis/{api_id}/deployments", {"stageName": "cached", "cacheClusterEnabled": True})
    access_json = ('{ "requestId":"$context.requestId", "ip": "$context.identity.sourceIp", '
                   '"requestTime":"$context.requestTime", "httpMethod":"$context.httpMethod",'
                   '"routeKey":"$context.routeKey", "status":"$context.status",'
                   '"protocol":"$context.protocol", "responseLength":"$context.responseLength" }')
    mgmt(base, "PATCH", f"/restapis/{api_id}/stages/cached", {"patchOperations": lifted + [
        {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"},
        {"op": "replace", "path": "/accessLogSettings/format", "value": access_json},
        {"op": "replace", "path": "/accessLogSettings/destinationArn",
         "value": "arn:aws:logs:us-east-1:123456789012:log-group:wrk-bench"},
    ]})
    return f"{base}/restapis/{api_id}/{{stage}}/_user_request_{{path}}"


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
    gwtui = os.environ.get("GWTUI_BIN") or os.path.join(target, "release", "gwtui")
    hello = os.path.join(target, "release", "examples", "hyper_hello")
    for b in (gwtui, hello):
        if not os.path.exists(b):
            sys.exit(f"missing {b}: run benches/wrk_side_by_side.sh")
    work = tempfile.mkdtemp(prefix="gwtui-wrk-")
    procs = []

    def spawn(cmd, **kw):
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
        procs.append(p)
        return p

    try:
        ports = {k: free_port() for k in ("hyper", "gwtui")}
        hyper_p = spawn([hello, f"127.0.0.1:{ports['hyper']}"])
        ports["static"], ports["proxy"], static_p, proxy_p = start_proxy_pair(work, spawn)
        baseline = os.environ.get("GWTUI_BASELINE")
        gws = {"gwtui": gwtui}
        if baseline:
            gws["baseline"] = baseline
            ports["baseline"] = free_port()
        gw_procs = {name: start_gwtui(work, spawn, binary, ports[name], name) for name, binary in gws.items()}
        for name, port in ports.items():
            wait_port(port, name)
        gw_p = gw_procs["gwtui"]

        def setup_gwtui(base):
            return setup_bench(base, f"127.0.0.1:{ports['static']}")

        invoke = setup_gwtui(f"http://127.0.0.1:{ports['gwtui']}")

        def pids(*ps):
            out = []
            for p in ps:
                out.append(p.pid)
                out.extend(children(p.pid))
            return out

        rows = [
            ("bare hyper \"hello\"", f"http://127.0.0.1:{ports['hyper']}/", lambda: pids(hyper_p)),
            ("nginx static", f"http://127.0.0.1:{ports['static']}/", lambda: pids(static_p)),
            ("nginx proxy -> nginx static (keepalive)", f"http://127.0.0.1:{ports['proxy']}/",
             lambda: pids(proxy_p, static_p)),
            ("gwtui MOCK GET (metrics on)", invoke.format(stage="bench", path="/mock"), lambda: pids(gw_p)),
            ("gwtui MOCK GET, cache hit + metrics + JSON access log",
             invoke.format(stage="cached", path="/cached?id=1"), lambda: pids(gw_p)),
            ("gwtui HTTP_PROXY -> nginx static", invoke.format(stage="bench", path="/proxy"),
             lambda: pids(gw_p, static_p)),
        ]
        if baseline:
            binv = setup_gwtui(f"http://127.0.0.1:{ports['baseline']}")
            base_p = gw_procs["baseline"]
            rows += [
                ("baseline: gwtui MOCK GET (metrics on)", binv.format(stage="bench", path="/mock"),
                 lambda: pids(base_p)),
                ("baseline: gwtui MOCK GET, cache hit + metrics + JSON access log",
                 binv.format(stage="cached", path="/cached?id=1"), lambda: pids(base_p)),
                ("baseline: gwtui HTTP_PROXY -> nginx static", binv.format(stage="bench", path="/proxy"),
                 lambda: pids(base_p, static_p)),
            ]
        only = [x for x in os.environ.get("ROWS", "").split(",") if x]
        if only:
            # The ratio columns need the hyper and nginx proxy rows.
            rows = [r for r in rows if r[0].startswith(("bare hyper", "nginx proxy")) or any(x in r[0] for x in only)]
        for _, url, _ in rows:  # warm up each row (connections, caches, the cache entry)
            wrk(url, 1, 4, 1)
        results = {name: [] for name, _, _ in rows}
        for r in range(ROUNDS):
            for name, url, pid_fn in rows:
                ps = pid_fn()
                before, cs_before = cpu_ticks(ps), ctx_switches(ps)
                res = wrk(url, THREADS, CONNS, SECS)
                res["cpu_us"] = (cpu_ticks(ps) - before) / TICK * 1e6 / max(res["requests"], 1)
                res["cs"] = (ctx_switches(ps) - cs_before) / max(res["requests"], 1)
                results[name].append(res)
                print(f"round {r + 1} {name}: {res['rps']:.0f} rps, cpu {res['cpu_us']:.1f} us/req"
                      f", {res['cs']:.2f} cs/req{', non-2xx ' + str(res['non2xx']) if res['non2xx'] else ''}", file=sys.stderr)

        def med(name, key):
            vals = [x[key] for x in results[name] if x[key] is not None]
            return statistics.median(vals) if vals else float("nan")

        hyper_row = rows[0][0]
        proxy_row = next(name for name, _, _ in rows if name.startswith("nginx proxy"))
        hyper_rps = med(hyper_row, "rps")
        proxy_rps = med(proxy_row, "rps")
        proxy_cpu = med(proxy_row, "cpu_us")
        print(f"\nwrk -t{THREADS} -c{CONNS} -d{SECS}s, {ROUNDS} interleaved rounds, medians; "
              f"load average before: {open('/proc/loadavg').read().split()[0]}")
        print("| row | rps | vs hyper | vs nginx proxy | p50 ms | p99 ms | server CPU µs/req | CPU vs nginx proxy | ctx switches/req |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name, _, _ in rows:
            rps, cpu = med(name, "rps"), med(name, "cpu_us")
            bad = sum(x["non2xx"] for x in results[name])
            note = f" ({bad} non-2xx!)" if bad else ""
            print(f"| {name}{note} | {rps / 1000:.1f} k | {rps / hyper_rps:.0%} | {rps / proxy_rps:.0%} | "
                  f"{med(name, 'p50'):.3f} | {med(name, 'p99'):.3f} | {cpu:.1f} | {cpu / proxy_cpu:.2f}× | "
                  f"{med(name, 'cs'):.2f} |")

        print("\nUnloaded (wrk -t1 -c1), p50 over 3 interleaved runs of 5 s:")
        print("| row | p50 µs | p99 µs |")
        print("|---|---|---|")
        unloaded = [(name, url) for name, url, _ in rows if name.startswith(("nginx", "gwtui", "baseline"))
                    and "cache hit" not in name]
        if os.environ.get("UNLOADED", "1") == "0":
            unloaded = []
        # Interleaved like the loaded rounds (row by row within each run), so that a change in
        # the box's load lands on every row alike.
        runs = {name: [] for name, _ in unloaded}
        for _ in range(3):
            for name, url in unloaded:
                runs[name].append(wrk(url, 1, 1, 5))
        for name, _ in unloaded:
            p50 = statistics.median(x["p50"] for x in runs[name]) * 1000
            p99 = statistics.median(x["p99"] for x in runs[name]) * 1000
            print(f"| {name} | {p50:.0f} | {p99:.0f} |")
    finally:
        for p in procs:
            try:
                p.send_signal(signal.SIGTERM)
            except OSError:
                pass
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
