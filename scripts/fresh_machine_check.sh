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
#   sudo scripts/fresh_machine_check.sh --debootstrap
#                                               # only the clean-root check: a minimal Debian
#                                               # bookworm made by debootstrap (see below)
#
# --debootstrap (needs root, debootstrap, unshare, chroot, network for Debian and crates.io;
# ~6 GB free; a cold release build plus a cold test build: an hour or more on 2 busy cores):
#   1. debootstrap --variant=minbase bookworm plus only gcc, libc6-dev, python3, git and
#      ca-certificates (what a fresh machine with the Rust toolchain has) into a new folder;
#   2. the host's Rust toolchain (`rustc --print sysroot`) bind-mounted read-only at /opt/rust;
#   3. `git clone` of this repository's committed HEAD (no target dir) at /work/gwtui and a
#      copy of ../shared (or $GWTUI_SHARED_DIR) beside it at /work/shared;
#   4. inside the root (unshare --mount --pid, chroot), with a fresh CARGO_HOME and a
#      CARGO_TARGET_DIR inside the root: this script's host checks (which run
#      `cargo build --release`, ldd, and `gwtui serve` + /gwtui/health), then
#      `cargo test --no-run`, then `$FRESH_TEST_CMD` when set (e.g. `cargo test`);
#   5. the root is deleted afterwards (KEEP_ROOT=1 keeps it). FRESH_ROOT=dir picks the folder
#      (default: a new one under /var/tmp); downloaded .debs are kept in FRESH_DEB_CACHE
#      (default /var/tmp/gwtui-debootstrap-cache, ~110 MB) so a second run does not fetch them.
#   A network that intercepts TLS (a proxy with its own CA, as on the machines this was
#   written on) needs that CA: FRESH_CA_FILE (default: $SSL_CERT_FILE when set) is copied into
#   the root and given to cargo alone (CARGO_HTTP_CAINFO); the root's own trust store is left
#   as Debian ships it.
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
debootstrap=0
for arg in "$@"; do
  case "$arg" in
    --container) container=1 ;;
    --debootstrap) debootstrap=1 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# --debootstrap: everything happens in a clean Debian root; the host checks run in there.
if [ "$debootstrap" = 1 ]; then
  [ "$(id -u)" = 0 ] || fail "--debootstrap needs root (debootstrap, mount, chroot)"
  for tool in debootstrap unshare chroot git rustc; do
    command -v "$tool" >/dev/null 2>&1 || fail "--debootstrap needs $tool"
  done
  started=$(date +%s)
  stamp() { echo "[$(( $(date +%s) - started ))s] $*"; }
  root="${FRESH_ROOT:-$(mktemp -d /var/tmp/gwtui-fresh-root.XXXXXX)}"
  mkdir -p "$root"
  [ -z "$(ls -A "$root")" ] || fail "FRESH_ROOT $root is not empty"
  sysroot=$(rustc --print sysroot)
  shared="${GWTUI_SHARED_DIR:-../shared}"
  remove_root() {
    # Every mount lived in the unshared namespace and died with it; refuse to delete through
    # one that somehow survived.
    if grep -q " $root/" /proc/self/mounts; then
      echo "not deleting $root: something is still mounted under it" >&2
    elif [ "${KEEP_ROOT:-0}" != 1 ]; then
      rm -rf --one-file-system "$root"
    fi
  }
  trap remove_root EXIT
  stamp "debootstrap bookworm (minbase + gcc libc6-dev python3 git ca-certificates) into $root"
  cache="${FRESH_DEB_CACHE:-/var/tmp/gwtui-debootstrap-cache}"
  mkdir -p "$cache"
  debootstrap --variant=minbase --include=gcc,libc6-dev,python3,git,ca-certificates \
    --cache-dir="$cache" bookworm "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$root.debootstrap.log" 2>&1 \
    || { tail -20 "$root.debootstrap.log" >&2; fail "debootstrap"; }
  rm -f "$root.debootstrap.log"
  stamp "root ready: $(du -sh --one-file-system "$root" | cut -f1)"
  mkdir -p "$root/opt/rust" "$root/work"
  git clone -q --no-hardlinks --branch "$(git rev-parse --abbrev-ref HEAD)" . "$root/work/gwtui"
  stamp "cloned $(git -C "$root/work/gwtui" log -1 --format='%h %s' | cut -c1-80)"
  if [ -d "$shared" ]; then
    cp -a "$shared" "$root/work/shared"
  else
    echo "warning: no $shared; tests reading ../shared will see it missing" >&2
  fi
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  ca_file="${FRESH_CA_FILE:-${SSL_CERT_FILE:-}}"
  cargo_ca=""
  if [ -n "$ca_file" ] && [ -f "$ca_file" ]; then
    cp "$ca_file" "$root/work/network-ca.pem"
    cargo_ca="export CARGO_HTTP_CAINFO=/work/network-ca.pem"
  fi
  cat >"$root/work/inside.sh" <<INSIDE
set -euo pipefail
export PATH=/opt/rust/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
export HOME=/root CARGO_HOME=/root/.cargo CARGO_TARGET_DIR=/work/target CARGO_TERM_COLOR=never
unset CI
$cargo_ca
cd /work/gwtui
echo "inside: \$(. /etc/os-release; echo \$PRETTY_NAME), \$(rustc --version), \$(gcc --version | head -1)"
for absent in aws node tmux curl sqlite3; do
  ! command -v "\$absent" >/dev/null || { echo "root is not clean: \$absent present"; exit 1; }
done
! ls /usr/include/sqlite3.h >/dev/null 2>&1 || { echo "root is not clean: sqlite3.h"; exit 1; }
t0=\$(date +%s)
cargo fetch --locked
echo "[inside] cargo fetch (crates.io): \$(( \$(date +%s) - t0 ))s"
t0=\$(date +%s)
scripts/fresh_machine_check.sh
echo "[inside] host checks (cargo build --release, ldd, serve + health): \$(( \$(date +%s) - t0 ))s"
t0=\$(date +%s)
cargo test --no-run
echo "[inside] cargo test --no-run: \$(( \$(date +%s) - t0 ))s"
if [ -n "${FRESH_TEST_CMD:-}" ]; then
  t0=\$(date +%s)
  ${FRESH_TEST_CMD:-true}
  echo "[inside] ${FRESH_TEST_CMD:-}: \$(( \$(date +%s) - t0 ))s"
fi
INSIDE
  stamp "entering the root"
  unshare --mount --pid --fork --propagation private bash -euc '
    root=$1; sysroot=$2
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount --make-rslave "$root/dev"
    mount --bind "$sysroot" "$root/opt/rust"
    mount -o remount,bind,ro "$root/opt/rust"
    exec chroot "$root" /usr/bin/env -i TERM=dumb /bin/bash /work/inside.sh
  ' fresh-root "$root" "$sysroot" || fail "the clean root failed (after $(( $(date +%s) - started ))s)"
  stamp "cargo build --release, gwtui serve + health, cargo test --no-run: pass in a clean bookworm root"
  echo "fresh machine check (debootstrap): pass"
  exit 0
fi

# 1. -sys crates in the normal and build graph.
allowed_sys='^(libsqlite3-sys|linux-raw-sys|dirs-sys)$'
# Captured first, grepped after: `cargo tree | grep -q` under pipefail fails when grep's early
# exit makes cargo tree die of SIGPIPE, and a failing cargo tree must not pass silently.
tree=$(cargo tree -e normal,build --prefix none) || fail "cargo tree"
sys_crates=$(awk '{print $1}' <<<"$tree" | grep -- '-sys$' | sort -u || true)
for crate in $sys_crates; do
  [[ "$crate" =~ $allowed_sys ]] || fail "-sys crate $crate may need a system library"
done
features=$(cargo tree -e features -i libsqlite3-sys) || fail "cargo tree -i libsqlite3-sys"
grep -q '"bundled"' <<<"$features" || fail "libsqlite3-sys is built without its bundled SQLite"
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
