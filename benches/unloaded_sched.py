#!/usr/bin/env python3
"""Where an unloaded (`wrk -t1 -c1`) request's time goes on the scheduler's side (issue 19,
docs/PERFORMANCE.md "Data plane, session 10"): for nginx's keepalive proxy, gwtui's HTTP_PROXY
(both in front of the same nginx static server) and gwtui's MOCK, one `perf sched record -a` of
one second in the middle of a 4-second `wrk -t1 -c1` run, then per task of the chain: run time per
request, runs per request, run time per run, the wake-up-to-run delay ("sch delay") per run, and
how many wake-ups per request crossed CPUs (waker and wakee on different CPUs: on a VM each one
wakes a halted vCPU) against those that stayed on the waker's CPU.

Starts its servers like benches/proxy_hop_syscalls.py (nginx static and proxy with two workers,
as in benches/wrk_side_by_side.py; `gwtui serve` with the wrk bench's API). Needs perf with
sched tracepoints (root), nginx, wrk. Run it on an idle box:

  GWTUI_BIN=target/release/gwtui python3 benches/unloaded_sched.py

Environment: GWTUI_BIN, CARGO_TARGET_DIR, KEEP (a directory to keep the perf.data files in).
Every loop is bounded; nothing leaves 127.0.0.1.
"""

import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import callgrind_dataplane as cg  # noqa: E402
import wrk_side_by_side as w  # noqa: E402

RUN = re.compile(r"\s*([\d.]+)\s+\[(\d+)\]\s+(\S+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$")
WAKE = re.compile(r"\s*([\d.]+)\s+\[(\d+)\]\s+(\S+).*awakened: (\S+)")
NOISE = ("perf", "sleep", "swapper", "<idle>")


def task(field):
    """`nginx[123]`, `gwtui-serve-1[14707/14695]` -> (`nginx[123]`, `nginx`)."""
    return field, re.sub(r"\[.*", "", field)


def analyse(data, rps):
    """Per chain task: runs, run time and sch delay; wake-ups by (waker, wakee, same/cross CPU).
    Requests: wrk's rate times the recording's span (first to last event)."""
    out = subprocess.run(["perf", "sched", "timehist", "-w", "-i", data], capture_output=True,
                         text=True).stdout
    runs, run_ms, delay_ms = collections.Counter(), collections.Counter(), collections.Counter()
    pending, wakes = {}, collections.Counter()
    first = last = None
    for line in out.splitlines():
        m = WAKE.match(line)
        if m:
            _, waker = task(m.group(3))
            if waker not in NOISE:
                pending[m.group(4)] = (m.group(2), waker)
            continue
        m = RUN.match(line)
        if not m:
            continue
        first = first if first is not None else float(m.group(1))
        last = float(m.group(1))
        full, short = task(m.group(3))
        if short in NOISE:
            continue
        runs[full] += 1
        delay_ms[full] += float(m.group(5))
        run_ms[full] += float(m.group(6))
        if full in pending:
            cpu, waker = pending.pop(full)
            wakes[(waker, short, "same CPU" if cpu == m.group(2) else "cross-CPU")] += 1
    n = max(int(rps * ((last or 0.0) - (first or 0.0))), 1)
    chain = [t for t in runs if runs[t] >= n // 2]
    return [(t, run_ms[t] * 1000 / n, runs[t] / n, run_ms[t] * 1000 / runs[t], delay_ms[t] * 1000 / runs[t])
            for t in sorted(chain, key=lambda t: -run_ms[t])], {k: v / n for k, v in wakes.items() if v >= n // 20}


def main():
    gwtui = w.gwtui_and_tools("perf", "nginx", "wrk")
    work = tempfile.mkdtemp(prefix="gwtui-sched-")
    keep = os.environ.get("KEEP")
    procs = []
    spawn = w.spawner(procs)

    try:
        ports = {"gwtui": w.free_port()}
        ports["static"], ports["proxy"], _, _ = w.start_proxy_pair(work, spawn)
        w.start_gwtui(work, spawn, gwtui, ports["gwtui"])
        for name, port in ports.items():
            w.wait_port(port, name)
        invoke = w.setup_bench(f"http://127.0.0.1:{ports['gwtui']}", f"127.0.0.1:{ports['static']}")
        rows = [("nginx proxy -> nginx static", f"http://127.0.0.1:{ports['proxy']}/"),
                ("gwtui HTTP_PROXY -> nginx static", invoke.format(stage="bench", path="/proxy")),
                ("gwtui MOCK GET", invoke.format(stage="bench", path="/mock"))]
        for _, url in rows:
            w.wrk(url, 1, 4, 1)  # warm: connections, pools, caches
        for i, (name, url) in enumerate(rows):
            data = os.path.join(keep or work, f"sched-{i}.data")
            load = subprocess.Popen(["wrk", "-t1", "-c1", "-d4s", "--latency", url], stdout=subprocess.PIPE, text=True)
            time.sleep(1.5)
            subprocess.run(["perf", "sched", "record", "-a", "-o", data, "--", "sleep", "1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            text = load.communicate(timeout=30)[0]
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
            p50 = re.search(r"50%\s+([\d.]+)(us|ms)", text)
            p50_us = float(p50.group(1)) * (1000 if p50.group(2) == "ms" else 1)
            tasks, wakes = analyse(data, rps)
            print(f"\n{name}: p50 {p50_us:.0f} µs, {rps:.0f} requests/s under perf sched")
            print("| task | run µs/request | runs/request | run µs/run | sch delay µs/run |")
            print("|---|---|---|---|---|")
            for t, per_req, runs_per, per_run, delay in tasks:
                print(f"| {t} | {per_req:.1f} | {runs_per:.2f} | {per_run:.1f} | {delay:.1f} |")
            print("| wake-up (waker → wakee) | per request |\n|---|---|")
            for (waker, wakee, where), v in sorted(wakes.items(), key=lambda kv: -kv[1]):
                print(f"| {waker} → {wakee}, {where} | {v:.2f} |")
            cross = sum(v for (_, _, where), v in wakes.items() if where == "cross-CPU")
            print(f"cross-CPU wake-ups per request: {cross:.2f}")
    finally:
        cg.stop(procs)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
