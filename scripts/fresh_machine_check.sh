#!/usr/bin/env bash
# Checks that the README's two commands (`cargo run --release`, `cargo test`) need nothing
# installed by hand on a fresh machine: a Debian with only the Rust toolchain (rustup's
# toolchain needs a C linker, so `gcc`/`libc6-dev` come with it — the official `rust` images
# carry them — and that C compiler also builds the bundled SQLite).
#
#   scripts/fresh_machine_check.sh              # checks on this machine (below)
#   scripts/fresh_machine_check.sh --container  # also runs both commands in rust:1-slim-bookworm
#                                               # (needs docker or podman and network for crates)
#   PROFILE=dev scripts/fresh_machine_check.sh  # check a debug build instead of release
#
# On this machine it proves what it can without a clean system:
#   1. every `-sys` crate in the build graph is one that needs no system library or `-dev`
#      package (libsqlite3-sys with `bundled`, which compiles SQLite from its own source);
#   2. the built binary links no library outside glibc and libgcc (`ldd`: no libsqlite3);
#   3. the binary starts headless on a fresh data dir and answers its health check.
# `cargo test` itself needs no tool either: tests that drive the AWS CLI, boto3, python3,
# node or tmux skip when the tool is missing, unless `CI` is set (then they fail).
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${PROFILE:-release}"
container=0
for arg in "$@"; do
  case "$arg" in
    --container) container=1 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# 1. -sys crates in the normal and build graph.
allowed_sys='^(libsqlite3-sys|linux-raw-sys|dirs-sys)$'
sys_crates=$(cargo tree -e normal,build --prefix none 2>/dev/null \
  | awk '{print $1}' | grep -- '-sys$' | sort -u || true)
for crate in $sys_crates; do
  [[ "$crate" =~ $allowed_sys ]] || fail "-sys crate $crate may need a system library"
done
cargo tree -e features -i libsqlite3-sys 2>/dev/null | grep -q '"bundled"' \
  || fail "libsqlite3-sys is built without its bundled SQLite"
ok "-sys crates: $(echo $sys_crates | tr '\n' ' ')(SQLite bundled)"

# 2. Build, then what the binary links (a system SQLite would show as libsqlite3.so).
if [ "$profile" = release ]; then
  build_flags=(--release); dir=release
else
  build_flags=(); dir=debug
fi
target="${CARGO_TARGET_DIR:-target}"
cargo build "${build_flags[@]}" --quiet || fail "cargo build ${build_flags[*]:-}"
binary="$target/$dir/gwtui"
[ -x "$binary" ] || fail "no binary at $binary"
if command -v ldd >/dev/null 2>&1; then
  allowed_libs='^(linux-vdso\.so\.1|libc\.so\.6|libm\.so\.6|libgcc_s\.so\.1|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|/lib64/ld-linux-x86-64\.so\.2|/lib/ld-linux-aarch64\.so\.1)$'
  while read -r lib _; do
    [ -z "$lib" ] && continue
    [[ "$lib" =~ $allowed_libs ]] || fail "$binary links $lib (not on a base Debian)"
  done < <(ldd "$binary" | sed 's/^[[:space:]]*//')
  ok "ldd $binary: glibc and libgcc only"
fi

# 3. Starts headless on a fresh data dir and answers /gwtui/health.
data=$(mktemp -d)
out=$(mktemp)
"$binary" serve --listen 127.0.0.1:0 --data-dir "$data" >"$out" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data" "$out"; }
trap cleanup EXIT
addr=""
for _ in $(seq 1 100); do
  addr=$(sed -n 's|^listening on http://||p' "$out" | head -1)
  [ -n "$addr" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$out" >&2; fail "gwtui serve exited"; }
  sleep 0.1
done
[ -n "$addr" ] || fail "gwtui serve printed no address"
host=${addr%:*}; port=${addr##*:}
exec 3<>"/dev/tcp/$host/$port"
printf 'GET /gwtui/health HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$addr" >&3
status=$(head -1 <&3 | tr -d '\r')
exec 3<&-
[[ "$status" == "HTTP/1.1 200"* ]] || fail "health check answered: $status"
ok "gwtui serve on a fresh data dir: $status"

# Optional: the README's commands in a clean Debian with only the Rust toolchain.
if [ "$container" = 1 ]; then
  runtime=$(command -v docker || command -v podman || true)
  [ -n "$runtime" ] || fail "--container needs docker or podman"
  "$runtime" run --rm -v "$PWD:/src:ro" rust:1-slim-bookworm bash -euc '
    cp -r /src /work && cd /work && rm -rf target
    cargo build --release
    ! ldd target/release/gwtui | grep -q sqlite
    cargo test
  ' || fail "the README's commands failed in rust:1-slim-bookworm"
  ok "cargo build --release and cargo test pass in rust:1-slim-bookworm"
fi
echo "fresh machine check: pass"
