#!/usr/bin/env bash
# Data-plane speed side by side with wrk: bare hyper, nginx static, nginx keepalive proxy and
# gwtui (MOCK, cache hit with metrics + JSON access log, HTTP_PROXY to nginx), interleaved
# rounds, server CPU from /proc. Loopback only; every loop bounded. See
# benches/wrk_side_by_side.py for what runs; docs/PERFORMANCE.md for figures.
#   ROUNDS=3 SECS=10 THREADS=2 CONNS=32 benches/wrk_side_by_side.sh
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  # Debian starts the packaged nginx on port 80; the bench runs its own instances.
  systemctl stop nginx 2>/dev/null || service nginx stop 2>/dev/null || true
fi
cargo build --release --bin gwtui --example hyper_hello
exec python3 benches/wrk_side_by_side.py
