#!/usr/bin/env python3
"""Allocations per MOCK request on the real server path (docs/PERFORMANCE.md, "Data plane under
wrk, round 2"): runs `gwtui serve` under `valgrind --tool=dhat` with the wrk bench's API,
sends `wrk -t1 -c1 -d{secs}s` to the MOCK route, stops the server with SIGINT and prints the
request count; dhat prints its totals to `{out}.log`. Run it at two durations and divide the
difference in blocks by the difference in requests (start-up cancels out):

    python3 benches/dhat_serve.py target/release/gwtui 3 /tmp/dhat-3.json
    python3 benches/dhat_serve.py target/release/gwtui 9 /tmp/dhat-9.json
    grep Total /tmp/dhat-3.json.log /tmp/dhat-9.json.log

Loopback only; every wait is bounded.
"""

import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wrk_side_by_side as w  # noqa: E402


def main():
    binary, secs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    work = tempfile.mkdtemp(prefix="gwtui-dhat-")
    conf = os.path.join(work, "g.toml")
    with open(conf, "w") as f:
        f.write("[server]\naccount_rate_limit = 1000000000.0\naccount_burst_limit = 1000000000\n"
                "[demo]\nenabled = false\n")
    port = w.free_port()
    with open(out + ".log", "w") as log:
        g = subprocess.Popen(["valgrind", "--tool=dhat", f"--dhat-out-file={out}", binary, "--config", conf,
                              "--data-dir", os.path.join(work, "data"), "serve", "--listen", f"127.0.0.1:{port}"],
                             stdout=subprocess.DEVNULL, stderr=log)
        try:
            w.wait_port(port, "gwtui", 120)
            base = f"http://127.0.0.1:{port}"
            # The HTTP_PROXY route is not called; its backend only has to be a valid URI.
            api = w.mgmt(base, "POST", "/restapis?mode=import", w.bench_api("127.0.0.1:8099"))["id"]
            lifted = [
                {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1000000000"},
                {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "1000000000"},
            ]
            w.mgmt(base, "POST", f"/restapis/{api}/deployments", {"stageName": "bench"})
            w.mgmt(base, "PATCH", f"/restapis/{api}/stages/bench", {"patchOperations": lifted})
            r = w.wrk(f"{base}/restapis/{api}/bench/_user_request_/mock", 1, 1, secs)
            print("requests", r["requests"])
        finally:
            g.send_signal(signal.SIGINT)
            try:
                g.wait(60)
            except subprocess.TimeoutExpired:
                g.kill()


if __name__ == "__main__":
    main()
