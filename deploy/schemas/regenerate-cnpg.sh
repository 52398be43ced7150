#!/usr/bin/env bash
# Regenerates the vendored CloudNativePG schemas used by scripts/check-deploy.sh:
#   postgresql.cnpg.io_cluster_v1.json          (kind Cluster)
#   postgresql.cnpg.io_scheduledbackup_v1.json  (kind ScheduledBackup)
# Each is the CRD's openAPIV3Schema (postgresql.cnpg.io/v1), descriptions
# removed.
#
# Source: the crates.io package k8s-crds-cloud-native-pg, whose types kopium
# generates from CloudNativePG's own CRD YAML. A throw-away Rust program, built
# in a temporary directory outside the workspace, prints the CRDs that kube
# derives from those types. Needs cargo and crates.io; the build takes a few
# minutes (kube and k8s-openapi). Only the JSON files are kept.
#
# Usage: deploy/schemas/regenerate-cnpg.sh [CRATE_VERSION]   (default 1.30.0)
set -euo pipefail

version="${1:-1.30.0}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/src"
cat >"$work/Cargo.toml" <<TOML
[package]
name = "cnpg-schema"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
k8s-crds-cloud-native-pg = { version = "=$version", features = ["schemars"] }
k8s-openapi = { version = "0.28", features = ["v1_34"] }
kube = { version = "4", default-features = false, features = ["derive"] }
serde_json = "1"

[workspace]
TOML
cat >"$work/src/main.rs" <<'RS'
use kube::CustomResourceExt;
fn main() {
    let crd = match std::env::args().nth(1).as_deref() {
        Some("scheduledbackup") => {
            k8s_crds_cloud_native_pg::scheduledbackups::ScheduledBackup::crd()
        }
        _ => k8s_crds_cloud_native_pg::clusters::Cluster::crd(),
    };
    println!("{}", serde_json::to_string(&crd).unwrap());
}
RS
# CARGO_TARGET_DIR, when set, is reused (faster on a second run).
target="${CARGO_TARGET_DIR:-$work/target}"
(cd "$work" && CARGO_TARGET_DIR="$target" cargo build --quiet --release)
for kind in cluster scheduledbackup; do
    "$target/release/cnpg-schema" "$kind" >"$work/$kind.json"
    python3 - "$work/$kind.json" "$here/postgresql.cnpg.io_${kind}_v1.json" "$version" <<'PY'
import json, sys
src, dst, version = sys.argv[1:4]
crd = json.load(open(src))
(ver,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
schema = ver["schema"]["openAPIV3Schema"]

def strip(node):
    """Drop the description annotations (not properties named description)."""
    if isinstance(node, list):
        return [strip(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k == "description" and isinstance(v, str):
            continue
        if k == "properties" and isinstance(v, dict):
            out[k] = {name: strip(sub) for name, sub in v.items()}
        else:
            out[k] = strip(v)
    return out

kind = crd["spec"]["names"]["kind"]
out = {
    "$comment": (
        f"openAPIV3Schema of the CloudNativePG {kind} CRD (postgresql.cnpg.io/v1), "
        f"derived from crates.io k8s-crds-cloud-native-pg {version} by "
        "deploy/schemas/regenerate-cnpg.sh; descriptions removed"
    ),
    "x-source": {"crate": "k8s-crds-cloud-native-pg", "version": version,
                 "group": crd["spec"]["group"], "kind": kind},
}
out.update(strip(schema))
with open(dst, "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write("\n")
print(f"wrote {dst}")
PY
done
