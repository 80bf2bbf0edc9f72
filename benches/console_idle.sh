#!/usr/bin/env bash
# Idle CPU of the console: gwtui (engine + console) on the demo API with the traffic
# generator off, in a 160x48 tmux pane, sampled from /proc/PID/stat over SECONDS_IDLE seconds.
#
#   cargo build --release && benches/console_idle.sh [BIN] [SECONDS_IDLE] [VIEW_KEY] [TRAFFIC]
#
# VIEW_KEY (optional) is pressed after opening the demo API, e.g. 6 for the dashboard;
# TRAFFIC (default 0.0) is the demo traffic generator's requests per second.
set -euo pipefail
bin="${1:-${CARGO_TARGET_DIR:-target}/release/gwtui}"
secs="${2:-20}"
view="${3:-}"
traffic="${4:-0.0}"
dir="$(mktemp -d)"
sock="gwtui-idle-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$dir"' EXIT
printf '[demo]\ntraffic = %s\n' "$traffic" > "$dir/config.toml"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
tmux -L "$sock" -f /dev/null new-session -d -s idle -x 160 -y 48 \
  "$bin" --data-dir "$dir/data" --config "$dir/config.toml" --listen "127.0.0.1:$port"
pid="$(tmux -L "$sock" display-message -p -t idle '#{pane_pid}')"
# wait (bounded) until the console has drawn the demo
for _ in $(seq 1 200); do
  tmux -L "$sock" capture-pane -p -t idle | grep -q 'PetStore demo' && break
  sleep 0.1
done
if [ -n "$view" ]; then
  tmux -L "$sock" send-keys -t idle Enter "$view"
fi
sleep 2 # let start-up work (seeding, first loads) finish before sampling
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz="$(getconf CLK_TCK)"
t0="$(ticks)"; s0="$(date +%s.%N)"
sleep "$secs"
t1="$(ticks)"; s1="$(date +%s.%N)"
threads="$(ls "/proc/$pid/task" | wc -l)"
awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s0="$s0" -v s1="$s1" -v th="$threads" 'BEGIN {
  cpu = (b - a) / hz; wall = s1 - s0;
  printf "cpu %.3f s over %.1f s wall = %.2f%% of one core (%d threads)\n", cpu, wall, 100 * cpu / wall, th
}'
