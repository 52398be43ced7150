#!/usr/bin/env bash
# Builds one OCI image per ogi binary with buildah, without a container engine
# (`make image`), and writes each as an OCI archive:
#
#   <out>/ogi-intake.oci.tar  ogi-validation  ogi-approval  ogi-publishing
#   ogi-reporting  ogi (the command line)
#
# Each image starts from scratch and holds only what its binary needs:
#   /usr/local/bin/<binary>             the entrypoint
#   the shared libraries `ldd` lists, and the dynamic loader, at their paths
#   /etc/ssl/certs/ca-certificates.crt  TLS to PostgreSQL and NATS
#   /etc/passwd, /etc/group             root and the user ogi (10001:10001)
#   /etc/nsswitch.conf                  host names from /etc/hosts, then DNS
#   /tmp (1777)                         the only writable place; HOME and WORKDIR
# It runs as 10001:10001 and carries the OCI labels org.opencontainers.image.
# title, version, revision, source, licenses and description. No time zone
# data: ogi reads no local time (legal dates are data, logs are in UTC).
#
# The binaries are taken as built: run `cargo build --release --bins` first
# (`make image` does). Needs root (buildah's vfs storage, in a temporary
# directory removed at exit; nothing is left in /var/lib/containers).
#
# Usage: scripts/build-images.sh [--profile release|debug] [--out DIR] [BINARY...]
#   --profile  which cargo profile's binaries (default release)
#   --out      where the archives go (default <target>/images)
#   BINARY     only these binaries (default: all six)
# Environment: CARGO_TARGET_DIR (default <repo>/target), BUILDAH (default buildah).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$repo_root/target}"
buildah_bin="${BUILDAH:-buildah}"

# The binaries that get an image; scripts/check-deploy.sh keeps this list equal
# to the workspace's binaries.
OGI_BINARIES="ogi ogi-accounts ogi-intake ogi-validation ogi-approval ogi-publishing ogi-reporting ogi-console"
# The non-root user every image runs as (the manifests' runAsUser/runAsGroup).
OGI_UID=10001
OGI_GID=10001
ADMIN_PORT=9090

log() { echo "build-images: $*" >&2; }
die() { log "error: $*"; exit 1; }

profile=release
out=""
binaries=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --profile) profile="${2:?--profile needs a value}"; shift 2 ;;
        --out) out="${2:?--out needs a value}"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1" ;;
        *) binaries+=("$1"); shift ;;
    esac
done
[[ ${#binaries[@]} -gt 0 ]] || read -r -a binaries <<<"$OGI_BINARIES"
out="${out:-$target_dir/images}"
bin_dir="$target_dir/$profile"

command -v "$buildah_bin" >/dev/null 2>&1 \
    || die "buildah is missing: run 'make tools' (it installs Debian's buildah with apt-get)"
[[ $(id -u) -eq 0 ]] || die "building images needs root (buildah with vfs storage)"
for bin in "${binaries[@]}"; do
    [[ " $OGI_BINARIES " == *" $bin "* ]] || die "$bin is not one of: $OGI_BINARIES"
    [[ -x "$bin_dir/$bin" ]] \
        || die "$bin_dir/$bin is missing: run 'cargo build --bins$([[ $profile == release ]] && echo ' --release')'"
done

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$repo_root/Cargo.toml" | head -1)"
[[ -n "$version" ]] || die "no workspace version in Cargo.toml"
source_url="$(sed -n 's/^repository = "\(.*\)"$/\1/p' "$repo_root/Cargo.toml" | head -1)"
license="$(sed -n 's/^license = "\(.*\)"$/\1/p' "$repo_root/Cargo.toml" | head -1)"
revision="$(git -C "$repo_root" rev-parse HEAD 2>/dev/null || echo unknown)"
if [[ "$revision" != unknown ]] && [[ -n "$(git -C "$repo_root" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
    revision="$revision-dirty"
fi
# The image's creation time: the commit's, so that rebuilding a commit gives the same config.
created="$(git -C "$repo_root" log -1 --format=%ct 2>/dev/null || echo 0)"

work="$(mktemp -d "${TMPDIR:-/tmp}/ogi-images.XXXXXX")"
containers=()
cleanup() {
    local ctr
    for ctr in "${containers[@]}"; do
        "${buildah[@]}" rm "$ctr" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
buildah=("$buildah_bin" --storage-driver vfs --root "$work/storage" --runroot "$work/run")

# What one sentence says each binary is (org.opencontainers.image.description).
describe() {
    case "$1" in
        ogi) echo "ogi command line: cases, import/export, annual reports, calendar" ;;
        ogi-intake) echo "ogi intake service: applications and receipts (gRPC 50051)" ;;
        ogi-validation) echo "ogi validation service: completeness, corrections, deadlines (gRPC 50052)" ;;
        ogi-approval) echo "ogi approval service: consultations, extensions, decisions (gRPC 50053)" ;;
        ogi-publishing) echo "ogi publishing service: reply letters and service (gRPC 50054)" ;;
        ogi-reporting) echo "ogi reporting service: the statutory annual report (gRPC 50055)" ;;
    esac
}

grpc_port() {
    case "$1" in
        ogi-intake) echo 50051 ;; ogi-validation) echo 50052 ;; ogi-approval) echo 50053 ;;
        ogi-publishing) echo 50054 ;; ogi-reporting) echo 50055 ;;
    esac
}

# Copies FILE (following symlinks) into the root ROOT at the same path.
copy_in() {
    local root="$1" file="$2"
    mkdir -p "$root$(dirname "$file")"
    cp -L --preserve=mode "$file" "$root$file"
}

# The root file system of BINARY's image, as a directory.
stage_root() {
    local bin="$1" root="$2" lib
    mkdir -p "$root/usr/local/bin" "$root/etc/ssl/certs" "$root/tmp"
    chmod 1777 "$root/tmp"
    install -m 0755 "$bin_dir/$bin" "$root/usr/local/bin/$bin"
    # "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" and "/lib64/ld-linux-x86-64.so.2 (0x…)"
    local libs
    libs="$(ldd "$bin_dir/$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')"
    if ldd "$bin_dir/$bin" | grep -q "not found"; then
        die "$bin: a library is missing: $(ldd "$bin_dir/$bin" | grep 'not found' | tr -s ' \t' ' ')"
    fi
    for lib in $libs; do
        copy_in "$root" "$lib"
    done
    [[ -f /etc/ssl/certs/ca-certificates.crt ]] \
        || die "/etc/ssl/certs/ca-certificates.crt is missing: apt-get install ca-certificates"
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
    cat >"$root/etc/passwd" <<EOF
root:x:0:0:root:/root:/usr/sbin/nologin
ogi:x:$OGI_UID:$OGI_GID:ogi:/tmp:/usr/sbin/nologin
EOF
    cat >"$root/etc/group" <<EOF
root:x:0:
ogi:x:$OGI_GID:
EOF
    echo "hosts: files dns" >"$root/etc/nsswitch.conf"
    chmod 0644 "$root/etc/passwd" "$root/etc/group" "$root/etc/nsswitch.conf" \
        "$root/etc/ssl/certs/ca-certificates.crt"
}

mkdir -p "$out"
log "building ${binaries[*]} ($profile, version $version, revision $revision) into $out"
for bin in "${binaries[@]}"; do
    root="$work/root-$bin"
    stage_root "$bin" "$root"
    # Owned by root, whatever owns the staged files.
    tar --create --file "$work/$bin.tar" --directory "$root" --owner=0 --group=0 --numeric-owner .
    ctr="$("${buildah[@]}" from --quiet scratch)"
    containers+=("$ctr")
    "${buildah[@]}" add --quiet "$ctr" "$work/$bin.tar" / >/dev/null
    config=(
        --entrypoint "[\"/usr/local/bin/$bin\"]"
        --cmd ""
        --user "$OGI_UID:$OGI_GID"
        --workingdir /tmp
        --env TMPDIR=/tmp --env HOME=/tmp --env LANG=C.UTF-8
        --label "org.opencontainers.image.title=$bin"
        --label "org.opencontainers.image.description=$(describe "$bin")"
        --label "org.opencontainers.image.version=$version"
        --label "org.opencontainers.image.revision=$revision"
        --label "org.opencontainers.image.source=$source_url"
        --label "org.opencontainers.image.licenses=$license"
    )
    if [[ "$bin" != ogi ]]; then
        # Logs as JSON lines for the cluster's log collector.
        config+=(--env OGI_LOG_JSON=true --port "$(grpc_port "$bin")" --port "$ADMIN_PORT")
    fi
    "${buildah[@]}" config "${config[@]}" "$ctr"
    archive="$out/$bin.oci.tar"
    rm -f "$archive"
    "${buildah[@]}" commit --quiet --format oci --timestamp "$created" "$ctr" \
        "oci-archive:$archive:$bin:$version" >/dev/null
    "${buildah[@]}" rm "$ctr" >/dev/null
    rm -rf "$root" "$work/$bin.tar"
    echo "$archive ($(du -h "$archive" | cut -f1))"
done
