#!/usr/bin/env python3
"""The proxy hop's kernel side, per request (issue 19; docs/PERFORMANCE.md "Data plane, round 5"):
syscalls per request and CPU and context switches per unloaded request, gwtui HTTP_PROXY
against nginx's keepalive proxy, both in front of the same nginx static server.

Starts on loopback ports nginx static, nginx as a keepalive reverse proxy (one process:
`master_process off`, one worker) and `gwtui serve` (GWTUI_BIN, default the release build) with
the wrk bench's API (benches/wrk_side_by_side.py). Then, for each proxy:
  1. `strace -c -f` attached to every thread while REQS sequential keep-alive GETs run from one
     client: the syscalls per request (background threads' clock_nanosleep included, shown);
  2. `perf stat -e task-clock,context-switches` attached while `wrk -t1 -c1 -d5s` runs: CPU µs
     and context switches per unloaded request (the front proxy alone).
GWTUI_* switches (GWTUI_SERVE_THREADS=1 makes one serving thread, which reads most easily)
reach gwtui unchanged. Needs strace, perf (part 2 is skipped without it), nginx, wrk.

  GWTUI_SERVE_THREADS=1 python3 benches/proxy_hop_syscalls.py

Environment: REQS (default 500), GWTUI_BIN, CARGO_TARGET_DIR. Every loop is bounded.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import callgrind_dataplane as cg  # noqa: E402
import wrk_side_by_side as w  # noqa: E402

REQS = int(os.environ.get("REQS", "500"))


def strace_counts(pid, url):
    """Syscalls per request: strace -c on every thread of `pid` during REQS requests."""
    with tempfile.NamedTemporaryFile(prefix="strace-", suffix=".txt", delete=False) as f:
        out = f.name
    args = ["strace", "-c", "-f", "-o", out]
    for tid in os.listdir(f"/proc/{pid}/task"):
        args += ["-p", tid]
    tracer = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)  # strace has no readiness signal; attaching takes well under this
        cg.requests(url, REQS)
    finally:
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=30)
    counts = {}
    with open(out) as f:
        for line in f:
            m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:(\d+)\s+)?(\w+)\s*$", line)
            if m and m.group(3) != "total":
                counts[m.group(3)] = int(m.group(1))
    os.unlink(out)
    return counts


def perf_stat(pid, url):
    with tempfile.NamedTemporaryFile(prefix="perf-", suffix=".txt", delete=False) as f:
        out = f.name
    stat = subprocess.Popen(["perf", "stat", "-e", "task-clock,context-switches", "-p", str(pid), "-o", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        res = w.wrk(url, 1, 1, 5)
    finally:
        stat.send_signal(signal.SIGINT)
        stat.wait(timeout=30)
    text = open(out).read()
    os.unlink(out)
    clock = re.search(r"([\d.,]+)\s+msec task-clock", text)
    switches = re.search(r"([\d,]+)\s+context-switches", text)
    if not clock or not switches:
        return None
    n = max(res["requests"], 1)
    return {
        "cpu_us": float(clock.group(1).replace(",", "")) * 1000 / n,
        "cs": int(switches.group(1).replace(",", "")) / n,
        "p50_us": res["p50"] * 1000,
    }


def main():
    gwtui = w.gwtui_and_tools("strace", "nginx", "wrk")
    work = tempfile.mkdtemp(prefix="gwtui-hop-")
    procs = []
    spawn = w.spawner(procs)

    try:
        ports = {"gwtui": w.free_port()}
        ports["static"], ports["proxy"], _, proxy = w.start_proxy_pair(work, spawn, single_process=True)
        gw = w.start_gwtui(work, spawn, gwtui, ports["gwtui"])
        for name, port in ports.items():
            w.wait_port(port, name)
        invoke = w.setup_bench(f"http://127.0.0.1:{ports['gwtui']}", f"127.0.0.1:{ports['static']}")
        rows = [("nginx proxy -> nginx static", proxy.pid, f"http://127.0.0.1:{ports['proxy']}/"),
                ("gwtui HTTP_PROXY -> nginx static", gw.pid, invoke.format(stage="bench", path="/proxy"))]
        for _, _, url in rows:
            cg.requests(url, 300)  # warm: connections, pools, caches
        counts = {name: strace_counts(pid, url) for name, pid, url in rows}
        names = sorted({s for c in counts.values() for s in c}, key=lambda s: -max(c.get(s, 0) for c in counts.values()))
        print(f"Syscalls per request (strace -c -f, {REQS} sequential keep-alive GETs; "
              f"GWTUI_SERVE_THREADS={os.environ.get('GWTUI_SERVE_THREADS', '(unset)')})")
        print("| syscall | " + " | ".join(name for name, _, _ in rows) + " |")
        print("|---|" + "---|" * len(rows))
        for s in names:
            print(f"| `{s}` | " + " | ".join(f"{counts[name].get(s, 0) / REQS:.2f}" for name, _, _ in rows) + " |")
        print("| all but `clock_nanosleep` | " + " | ".join(
            f"{sum(v for k, v in counts[name].items() if k != 'clock_nanosleep') / REQS:.2f}" for name, _, _ in rows) + " |")
        if shutil.which("perf"):
            print("\nUnloaded (wrk -t1 -c1 -d5s) under perf stat, the front proxy's threads")
            print("| row | CPU µs/req | context switches/req | p50 µs |")
            print("|---|---|---|---|")
            for name, pid, url in rows:
                r = perf_stat(pid, url)
                if r:
                    print(f"| {name} | {r['cpu_us']:.1f} | {r['cs']:.2f} | {r['p50_us']:.0f} |")
    finally:
        cg.stop(procs)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
