#!/usr/bin/env python3
"""Cluster mode's cost on one node: MOCK throughput with stage throttling on, a node sharing its
buckets through Redis (`[cluster] redis`) against a single node, in the same run.

Starts, on loopback only: a throwaway `redis-server` (no persistence, temp dir), a seed `gwtui
serve` that creates the bench API (MOCK GET /t; stage throttle 100,000 rps, burst 50,000, high
enough that nothing is throttled: the cost of the check is what is measured), then stops it and
copies its data dir twice: one node starts without Redis (single), one with `[cluster] redis`
(cluster). Both have the account throttle at 1,000,000 rps / burst 500,000. Then interleaved
rounds of `wrk -t{THREADS} -c{CONNS} -d{SECS}s` on each, reading the cluster node's
`gwtui_redis_calls_total` and `gwtui_redis_lease_refills_total` before and after to state the
Redis round trips per request. Prints a table and the ratio cluster/single per round and
overall (median rps).

Environment: ROUNDS (3), SECS (10), THREADS (2), CONNS (32), GWTUI_BIN (default: the release
build in CARGO_TARGET_DIR or target/), REDIS_SERVER (default redis-server on PATH).
Every loop is bounded (rounds × 2 × seconds); nothing leaves 127.0.0.1.
"""

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wrk_side_by_side import free_port, wait_port, wrk, mgmt  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "3"))
SECS = int(os.environ.get("SECS", "10"))
THREADS = int(os.environ.get("THREADS", "2"))
CONNS = int(os.environ.get("CONNS", "32"))

API = {
    "openapi": "3.0.1",
    "info": {"title": "cluster-bench", "version": "1"},
    "paths": {"/t": {"get": {
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {
            "type": "mock",
            "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
            "responses": {"default": {"statusCode": "200",
                                      "responseTemplates": {"application/json": "hello"}}},
        },
    }}},
}


def metric(base, name):
    with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return 0.0


def main():
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    gwtui = os.environ.get("GWTUI_BIN", os.path.join(target, "release", "gwtui"))
    redis_server = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
    if not os.path.exists(gwtui) or not redis_server or not shutil.which("wrk"):
        sys.exit("needs the release gwtui (cargo build --release --bin gwtui), redis-server and wrk")
    work = tempfile.mkdtemp(prefix="gwtui-cluster-bench-")
    procs = []

    def spawn(cmd):
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(p)
        return p

    def serve(name, extra=""):
        d = os.path.join(work, name)
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "config.toml")
        with open(conf, "w") as f:
            f.write("[server]\naccount_rate_limit = 1000000.0\naccount_burst_limit = 500000\n"
                    "[demo]\nenabled = false\n" + extra)
        port = free_port()
        p = spawn([gwtui, "--config", conf, "--data-dir", d, "serve", "--listen", f"127.0.0.1:{port}"])
        wait_port(port, name)
        return p, f"http://127.0.0.1:{port}"

    try:
        redis_port = free_port()
        spawn([redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", work])
        wait_port(redis_port, "redis-server")

        seed, base = serve("seed")
        api_id = mgmt(base, "POST", "/restapis?mode=import", API)["id"]
        mgmt(base, "POST", f"/restapis/{api_id}/deployments", {"stageName": "bench"})
        mgmt(base, "PATCH", f"/restapis/{api_id}/stages/bench", {"patchOperations": [
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100000"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "50000"},
        ]})
        seed.send_signal(signal.SIGTERM)
        seed.wait(timeout=30)
        for name in ("single", "cluster"):
            d = os.path.join(work, name)
            os.makedirs(d, exist_ok=True)
            for f in os.listdir(os.path.join(work, "seed")):
                if f.startswith("gwtui.db"):
                    shutil.copy(os.path.join(work, "seed", f), d)

        _, single = serve("single")
        _, cluster = serve("cluster", f"[cluster]\nredis = \"redis://127.0.0.1:{redis_port}\"\n")
        url = {name: f"{b}/restapis/{api_id}/bench/_user_request_/t"
               for name, b in (("single", single), ("cluster", cluster))}
        # Warm both (connections, leases).
        for u in url.values():
            wrk(u, 1, 4, 2)

        rows = {"single": [], "cluster": []}
        calls = refills = requests = 0.0
        load = []
        for r in range(ROUNDS):
            for name in ("single", "cluster") if r % 2 == 0 else ("cluster", "single"):
                before = (metric(cluster, "gwtui_redis_calls_total"),
                          metric(cluster, "gwtui_redis_lease_refills_total"))
                res = wrk(url[name], THREADS, CONNS, SECS)
                if res["non2xx"] or res["errors"]:
                    sys.exit(f"{name}: {res['non2xx']} non-2xx, errors {res['errors']!r}")
                rows[name].append(res)
                if name == "cluster":
                    calls += metric(cluster, "gwtui_redis_calls_total") - before[0]
                    refills += metric(cluster, "gwtui_redis_lease_refills_total") - before[1]
                    requests += res["requests"]
                load.append(os.getloadavg()[0])
                print(f"round {r + 1} {name:8} {res['rps']:10.0f} rps  p50 {res['p50']:.3f} ms  "
                      f"p99 {res['p99']:.3f} ms", flush=True)
        s = statistics.median(x["rps"] for x in rows["single"])
        c = statistics.median(x["rps"] for x in rows["cluster"])
        print()
        print(f"single node  median {s:10.0f} rps")
        print(f"cluster node median {c:10.0f} rps  = {100 * c / s:.0f}% of single")
        print(f"redis calls per request (cluster): {calls / requests:.5f} "
              f"({refills:.0f} lease refills for {requests:.0f} requests)")
        print(f"load average (1 min) during the runs: {min(load):.2f} .. {max(load):.2f}; cores: {os.cpu_count()}")
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
