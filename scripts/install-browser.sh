#!/usr/bin/env bash
# Installs what the console's browser journeys (tests/browser, run by
# tests/tests/console_browser.rs) need. Idempotent; nothing is downloaded when
# everything is there.
#
# - Debian's chromium (playwright cannot download browsers here) and the Noto
#   CJK fonts, so that pages and screenshots show Chinese: apt-get, when
#   /usr/bin/chromium is missing;
# - the pinned npm packages of tests/browser (package-lock.json): `npm ci`,
#   when tests/browser/node_modules is missing.
#
# Environment:
#   OGI_CHROMIUM  use this chromium instead of /usr/bin/chromium (not installed)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { echo "install-browser: $*" >&2; }
die() { log "error: $*"; exit 1; }

chromium="${OGI_CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
    [[ -z "${OGI_CHROMIUM:-}" ]] || die "OGI_CHROMIUM=$OGI_CHROMIUM is not an executable"
    command -v apt-get >/dev/null || die "no $chromium and no apt-get: install chromium and fonts-noto-cjk"
    sudo=()
    if [[ "$(id -u)" != 0 ]]; then
        command -v sudo >/dev/null || die "no $chromium: run as root or install chromium and fonts-noto-cjk"
        sudo=(sudo)
    fi
    log "installing chromium and fonts-noto-cjk with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    if ! "${sudo[@]}" apt-get install -y --no-install-recommends chromium fonts-noto-cjk >&2; then
        "${sudo[@]}" apt-get update >&2
        "${sudo[@]}" apt-get install -y --no-install-recommends chromium fonts-noto-cjk >&2
    fi
fi
log "$("$chromium" --version 2>/dev/null | head -n 1)"

command -v node >/dev/null || die "node (20 or later) is needed for the browser journeys"
command -v npm >/dev/null || die "npm is needed to install the browser journeys' packages"
if [[ ! -d "$repo_root/tests/browser/node_modules/playwright-core" ]]; then
    log "npm ci in tests/browser"
    (cd "$repo_root/tests/browser" && npm ci --no-audit --no-fund >&2)
fi
log "node $(node --version), playwright-core $(node -p "require('$repo_root/tests/browser/node_modules/playwright-core/package.json').version")"
