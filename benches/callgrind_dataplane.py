#!/usr/bin/env python3
"""Data-plane cost per request in figures a shared, noisy box cannot blur (issue 19; see
docs/PERFORMANCE.md, "Data plane, round 4"): instructions per request counted by callgrind, and
context switches per request under wrk counted from /proc.

Part 1, instructions. Starts, on loopback ports:
  - nginx static (`return 200 "hello"`), natively: the backend of both proxy rows;
  - nginx as a keepalive reverse proxy in front of it, under `valgrind --tool=callgrind`
    (`daemon off; master_process off;`: one process does the proxying);
  - the release `gwtui serve` under callgrind (every thread counted), with the wrk bench's API
    (benches/wrk_side_by_side.py: MOCK on stage `bench`, the MOCK with cache hits + metrics +
    JSON access log on stage `cached`, HTTP_PROXY to the nginx static server).
Every row is warmed up (WARM requests), then ROUNDS interleaved rounds run N sequential
keep-alive GETs per row from one client. Each row's phase is bracketed by `callgrind_control
--zero` and `--dump` of the server it measures (after a pause, so the log thread's writing of
that phase's access-log lines is counted in it); the dump's instruction total divided by N is
the row's instructions per request. The proxy rows count the proxy hop only (the nginx static
backend is not under callgrind), so "gwtui HTTP_PROXY" and "nginx proxy" compare the two
proxies' own user-space work. Kernel work (syscalls, wake-ups) is not in these counts: part 2
is for that.

Part 2, context switches (WRK_SECS > 0). Starts the same servers natively and runs ROUNDS
interleaved rounds of `wrk -t2 -c32 -d{WRK_SECS}s` per row, counting every thread's voluntary +
involuntary context switches from /proc/PID/task/*/status before and after: per request for the
front server alone and, for the proxy rows, for both hops (the backend nginx static added).
Also prints the CPU µs per request and rps of each round for reference (those two move with the
box's load; the context-switch counts much less).

  cargo build --release --bin gwtui && python3 benches/callgrind_dataplane.py

Environment: N (requests per row and round, default 2000), ROUNDS (default 3), WARM (default
300), WRK_SECS (default 5; 0 skips part 2), ROWS (comma-separated substrings of the row names),
GWTUI_BIN (another binary), CARGO_TARGET_DIR; GWTUI_SERVE_THREADS and the other GWTUI_* switches
reach gwtui unchanged (A/B by running the script twice). The dumps are kept in the printed
directory: `callgrind_annotate --inclusive=yes FILE` shows where a row's instructions go.
Loopback only; every loop is bounded.
"""

import glob
import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wrk_side_by_side as w  # noqa: E402

N = int(os.environ.get("N", "2000"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
WARM = int(os.environ.get("WARM", "300"))
WRK_SECS = int(os.environ.get("WRK_SECS", "5"))


def requests(url, n):
    m = re.match(r"http://([^/:]+):(\d+)(/.*)$", url)
    host, port, path = m.group(1), int(m.group(2)), m.group(3)
    conn = http.client.HTTPConnection(host, port, timeout=120)
    try:
        for _ in range(n):
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                sys.exit(f"{url}: {resp.status}")
    finally:
        conn.close()


def control(pid, flag):
    out = subprocess.run(["callgrind_control", flag, str(pid)], capture_output=True, text=True,
                         timeout=300)
    if out.returncode != 0:
        sys.exit(f"callgrind_control {flag} {pid}: {out.stdout}{out.stderr}")


def dump_total(path):
    with open(path) as f:
        for line in f:
            m = re.match(r"^(?:summary|totals):\s+(\d+)", line)
            if m:
                return int(m.group(1))
    sys.exit(f"no instruction total in {path}")


def rows_for(gw_url, nginx_proxy_url):
    rows = [
        ("gwtui MOCK GET (metrics on)", gw_url.format(stage="bench", path="/mock")),
        ("gwtui MOCK GET, cache hit + metrics + JSON access log", gw_url.format(stage="cached", path="/cached?id=1")),
        ("gwtui HTTP_PROXY -> nginx static", gw_url.format(stage="bench", path="/proxy")),
        ("nginx proxy -> nginx static (keepalive)", nginx_proxy_url),
    ]
    only = [x for x in os.environ.get("ROWS", "").split(",") if x]
    if only:
        rows = [r for r in rows if any(x in r[0] for x in only)]
    return rows


def instructions(gwtui, work):
    """Part 1: instructions per request per row, medians over the rounds."""
    procs = []
    try:
        ports = {k: w.free_port() for k in ("static", "proxy", "gwtui")}
        static_conf, static_dir = w.nginx_conf(work, "cg-static", w.static_block(ports["static"]))
        proxy_conf, proxy_dir = w.nginx_conf(work, "cg-proxy", w.proxy_block(ports["proxy"], ports["static"]), single_process=True)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        outs = {"nginx": os.path.join(work, "callgrind.nginx.out"),
                "gwtui": os.path.join(work, "callgrind.gwtui.out")}
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        procs.append(subprocess.Popen([nginx, "-c", static_conf, "-p", static_dir], **quiet))
        nginx_cg = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={outs['nginx']}",
                                     nginx, "-c", proxy_conf, "-p", proxy_dir], **quiet)
        procs.append(nginx_cg)
        gw_conf = os.path.join(work, "gwtui.toml")
        with open(gw_conf, "w") as f:
            f.write("[server]\naccount_rate_limit = 1000000000.0\naccount_burst_limit = 1000000000\n"
                    "[demo]\nenabled = false\n")
        gw_cg = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={outs['gwtui']}",
                                  gwtui, "--config", gw_conf, "--data-dir", os.path.join(work, "cg-data"),
                                  "serve", "--listen", f"127.0.0.1:{ports['gwtui']}"], **quiet)
        procs.append(gw_cg)
        for name, port in ports.items():
            w.wait_port(port, name, 180)
        gw_url = w.setup_bench(f"http://127.0.0.1:{ports['gwtui']}", f"127.0.0.1:{ports['static']}")
        rows = rows_for(gw_url, f"http://127.0.0.1:{ports['proxy']}/")
        for _, url in rows:
            requests(url, WARM)
        results = {name: [] for name, _ in rows}
        for r in range(ROUNDS):
            for name, url in rows:
                server, out = (nginx_cg, outs["nginx"]) if name.startswith("nginx") else (gw_cg, outs["gwtui"])
                time.sleep(0.5)
                control(server.pid, "--zero")
                requests(url, N)
                # The log thread writes the phase's access-log lines within its flush interval.
                time.sleep(0.5)
                before = set(glob.glob(out + "*"))
                control(server.pid, "--dump")
                new = sorted(set(glob.glob(out + "*")) - before)
                if not new:
                    sys.exit("callgrind wrote no dump")
                per_request = dump_total(new[-1]) / N
                results[name].append(per_request)
                print(f"round {r + 1} {name}: {per_request:,.0f} instructions/request  ({new[-1]})",
                      file=sys.stderr)
        print(f"\nInstructions per request (callgrind, all threads of the measured server; {N} sequential "
              f"keep-alive GETs per row and round, {ROUNDS} rounds, medians)")
        print("| row | instructions/request | rounds |")
        print("|---|---|---|")
        med = {name: statistics.median(v) for name, v in results.items()}
        for name, _ in rows:
            rounds = " / ".join(f"{x:,.0f}" for x in results[name])
            print(f"| {name} | {med[name]:,.0f} | {rounds} |")
        mock = med.get("gwtui MOCK GET (metrics on)")
        cached = next((v for k, v in med.items() if "cache hit" in k), None)
        gw_proxy = next((v for k, v in med.items() if k.startswith("gwtui HTTP_PROXY")), None)
        ng_proxy = next((v for k, v in med.items() if k.startswith("nginx proxy")), None)
        if mock and cached:
            print(f"cache hit / MOCK: {cached / mock:.2f}")
        if gw_proxy and ng_proxy:
            print(f"gwtui HTTP_PROXY hop / nginx proxy hop: {gw_proxy / ng_proxy:.2f}×")
        print(f"dumps: {work}")
    finally:
        stop(procs)


def switches(gwtui, work):
    """Part 2: context switches per request under wrk, every thread, from /proc."""
    procs = []
    try:
        ports = {k: w.free_port() for k in ("static", "proxy", "gwtui")}
        static_conf, static_dir = w.nginx_conf(work, "cs-static", w.static_block(ports["static"]))
        proxy_conf, proxy_dir = w.nginx_conf(work, "cs-proxy", w.proxy_block(ports["proxy"], ports["static"]))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        static_p = subprocess.Popen([nginx, "-c", static_conf, "-p", static_dir], **quiet)
        proxy_p = subprocess.Popen([nginx, "-c", proxy_conf, "-p", proxy_dir], **quiet)
        gw_conf = os.path.join(work, "gwtui.toml")
        gw_p = subprocess.Popen([gwtui, "--config", gw_conf, "--data-dir", os.path.join(work, "cs-data"),
                                 "serve", "--listen", f"127.0.0.1:{ports['gwtui']}"], **quiet)
        procs += [static_p, proxy_p, gw_p]
        for name, port in ports.items():
            w.wait_port(port, name, 60)
        gw_url = w.setup_bench(f"http://127.0.0.1:{ports['gwtui']}", f"127.0.0.1:{ports['static']}")
        rows = rows_for(gw_url, f"http://127.0.0.1:{ports['proxy']}/")

        def pids(*ps):
            out = []
            for p in ps:
                out.append(p.pid)
                out.extend(w.children(p.pid))
            return out

        for _, url in rows:
            w.wrk(url, 1, 4, 1)
        results = {name: [] for name, _ in rows}
        for r in range(ROUNDS):
            for name, url in rows:
                front = pids(proxy_p) if name.startswith("nginx") else pids(gw_p)
                back = pids(static_p) if "->" in name else []
                cs0, back0, cpu0 = w.ctx_switches(front), w.ctx_switches(back), w.cpu_ticks(front + back)
                res = w.wrk(url, 2, 32, WRK_SECS)
                n = max(res["requests"], 1)
                res["cs_front"] = (w.ctx_switches(front) - cs0) / n
                res["cs_both"] = res["cs_front"] + (w.ctx_switches(back) - back0) / n
                res["cpu_us"] = (w.cpu_ticks(front + back) - cpu0) / w.TICK * 1e6 / n
                results[name].append(res)
                print(f"round {r + 1} {name}: {res['rps']:.0f} rps, {res['cs_front']:.3f} cs/req "
                      f"(both hops {res['cs_both']:.3f}), cpu {res['cpu_us']:.1f} us/req", file=sys.stderr)
        print(f"\nContext switches per request under wrk -t2 -c32 -d{WRK_SECS}s ({ROUNDS} interleaved rounds, "
              f"medians; load average before part 2's end: {open('/proc/loadavg').read().split()[0]})")
        print("| row | cs/req (front server) | cs/req (both hops) | CPU µs/req (both hops) | rps |")
        print("|---|---|---|---|---|")
        for name, _ in rows:
            def med(key):
                return statistics.median(x[key] for x in results[name])
            print(f"| {name} | {med('cs_front'):.3f} | {med('cs_both'):.3f} | {med('cpu_us'):.1f} | "
                  f"{med('rps') / 1000:.1f} k |")
    finally:
        stop(procs)


def stop(procs):
    for p in procs:
        try:
            p.send_signal(signal.SIGTERM)
        except OSError:
            pass
    for p in procs:
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
    gwtui = os.environ.get("GWTUI_BIN") or os.path.join(target, "release", "gwtui")
    if not os.path.exists(gwtui):
        sys.exit(f"missing {gwtui}: cargo build --release --bin gwtui")
    for tool in ("valgrind", "callgrind_control", "nginx", "wrk"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            sys.exit(f"missing {tool} (apt-get install valgrind nginx wrk)")
    work = tempfile.mkdtemp(prefix="gwtui-cg-dataplane-")
    with open(os.path.join(work, "gwtui.toml"), "w") as f:
        f.write("[server]\naccount_rate_limit = 1000000000.0\naccount_burst_limit = 1000000000\n"
                "[demo]\nenabled = false\n")
    switches_env = {k: v for k, v in os.environ.items() if k.startswith("GWTUI_") and k != "GWTUI_BIN"}
    print(f"gwtui: {gwtui}; switches: {switches_env or 'none'}")
    if N > 0:
        instructions(gwtui, work)
    if WRK_SECS > 0:
        switches(gwtui, work)


if __name__ == "__main__":
    main()
