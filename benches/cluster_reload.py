#!/usr/bin/env python3
"""Cluster mode: what one admin change costs the other nodes when the store holds many APIs.

Starts, on loopback only, a throwaway PostgreSQL (initdb into a temp dir, `pg_ctl start` on a
free port; as the `postgres` user when run as root) and two `gwtui serve` nodes on it, A and B.
For each size N (SIZES, default "10,100,500"): imports REST APIs through A until the store
holds N, each with RESOURCES resources (a MOCK GET on each) and deployed to `prod`; waits
until B lists them all; then makes CHANGES single changes through A (UpdateRestApi of one
API's description: one commit → one NOTIFY → B reloads and swaps), one at a time, and for each
measures

  - propagation: from A's acknowledgement until B answers GetRestApi with the new description
    (polled every 2 ms: the figure includes up to one poll interval);
  - B's CPU per change: B's utime+stime (from /proc, 10 ms ticks) over all CHANGES changes,
    divided by CHANGES; nothing else is sent to B but the polls (their cost is included).

Prints one line per N: median and max propagation, CPU ms per change on B.

Environment: SIZES ("10,100,500"), RESOURCES (3), CHANGES (20), GWTUI_BIN (default: the debug
build in CARGO_TARGET_DIR or target/; say which build in what you record), PG_BIN (default:
the newest /usr/lib/postgresql/*/bin). Every wait is bounded; nothing leaves 127.0.0.1.
"""

import glob
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wrk_side_by_side import cpu_ticks, free_port, mgmt, wait_port  # noqa: E402

SIZES = [int(s) for s in os.environ.get("SIZES", "10,100,500").split(",")]
RESOURCES = int(os.environ.get("RESOURCES", "3"))
CHANGES = int(os.environ.get("CHANGES", "20"))
TICK = os.sysconf("SC_CLK_TCK")


def binary():
    if os.environ.get("GWTUI_BIN"):
        return os.environ["GWTUI_BIN"]
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    return os.path.join(target, "debug", "gwtui")


def pg_bin():
    if os.environ.get("PG_BIN"):
        return os.environ["PG_BIN"]
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not found:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
    return found[-1]


def as_postgres(cmd):
    return ["runuser", "-u", "postgres", "--"] + cmd if os.geteuid() == 0 else cmd


def api_doc(i):
    paths = {}
    for r in range(RESOURCES):
        paths[f"/r{r}"] = {"get": {
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {
                "type": "mock",
                "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                "responses": {"default": {"statusCode": "200",
                                          "responseTemplates": {"application/json": f"api {i}"}}},
            },
        }}
    return {"openapi": "3.0.1", "info": {"title": f"bench-{i}", "version": "1"}, "paths": paths}


def import_api(base, i):
    req = urllib.request.Request(base + "/restapis?mode=import",
                                 data=json.dumps(api_doc(i)).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as resp:
        api = json.loads(resp.read())
    mgmt(base, "POST", f"/restapis/{api['id']}/deployments", {"stageName": "prod"})
    return api["id"]


def count_apis(base):
    n, position = 0, None
    for _ in range(100):
        q = "/restapis?limit=500" + (f"&position={position}" if position else "")
        page = mgmt(base, "GET", q)
        n += len(page.get("item", []))
        position = page.get("position")
        if not position:
            return n
    return n


def description(base, api):
    try:
        return mgmt(base, "GET", f"/restapis/{api}").get("description")
    except (urllib.error.URLError, OSError):
        return None


def start_node(bin_path, pg_url, name, tmp):
    data = os.path.join(tmp, name)
    os.makedirs(data)
    cfg = os.path.join(data, "config.toml")
    with open(cfg, "w") as f:
        f.write(f"[demo]\nenabled = false\n\n[cluster]\nnode_id = \"{name}\"\n")
    port = free_port()
    proc = subprocess.Popen(
        [bin_path, "--data-dir", data, "--config", cfg, "--store", pg_url,
         "serve", "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, f"{name}.log"), "w"))
    wait_port(port, f"node {name}", deadline=60)
    return proc, f"http://127.0.0.1:{port}"


def main():
    bin_path = binary()
    if not os.path.exists(bin_path):
        sys.exit(f"no gwtui binary at {bin_path} (cargo build, or set GWTUI_BIN)")
    pgbin = pg_bin()
    tmp = tempfile.mkdtemp(prefix="gwtui-reload-")
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres")
    data = os.path.join(tmp, "pg")
    procs = []
    pg_port = free_port()
    try:
        subprocess.run(as_postgres([f"{pgbin}/initdb", "-D", data, "--auth=trust",
                                    "-U", "postgres", "--no-sync"]),
                       check=True, stdout=subprocess.DEVNULL)
        opts = (f"-p {pg_port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c max_connections=100")
        subprocess.run(as_postgres([f"{pgbin}/pg_ctl", "start", "-D", data, "-l",
                                    os.path.join(tmp, "pg.log"), "-w", "-t", "30", "-o", opts]),
                       check=True, stdout=subprocess.DEVNULL)
        pg_url = f"postgres://postgres@127.0.0.1:{pg_port}/postgres"
        a, base_a = start_node(bin_path, pg_url, "node-a", tmp)
        procs.append(a)
        b, base_b = start_node(bin_path, pg_url, "node-b", tmp)
        procs.append(b)
        print(f"binary {bin_path}; {RESOURCES} resources (MOCK GET) per API, each deployed; "
              f"{CHANGES} changes per size")
        print(f"{'APIs':>6} {'seed s':>7} {'propagation median ms':>22} {'max ms':>8} "
              f"{'B CPU ms/change':>16}")
        apis = []
        for n in SIZES:
            t0 = time.monotonic()
            while len(apis) < n:
                apis.append(import_api(base_a, len(apis)))
            end = time.monotonic() + 300
            while count_apis(base_b) < n:
                if time.monotonic() > end:
                    sys.exit(f"node B never listed {n} APIs")
                time.sleep(0.05)
            seeded = time.monotonic() - t0
            target = apis[0]
            props = []
            cpu_before = cpu_ticks([b.pid])
            for k in range(CHANGES):
                text = f"change {n}-{k}"
                mgmt(base_a, "PATCH", f"/restapis/{target}", {"patchOperations": [
                    {"op": "replace", "path": "/description", "value": text}]})
                acked = time.monotonic()
                end = acked + 30
                while description(base_b, target) != text:
                    if time.monotonic() > end:
                        sys.exit(f"node B never saw change {k} at N={n}")
                    time.sleep(0.002)
                props.append((time.monotonic() - acked) * 1000)
            cpu = (cpu_ticks([b.pid]) - cpu_before) * 1000 / TICK / CHANGES
            print(f"{n:>6} {seeded:>7.1f} {statistics.median(props):>22.1f} {max(props):>8.1f} "
                  f"{cpu:>16.1f}", flush=True)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(as_postgres([f"{pgbin}/pg_ctl", "stop", "-D", data, "-m", "fast",
                                    "-w", "-t", "30"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
