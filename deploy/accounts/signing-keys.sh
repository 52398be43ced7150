#!/usr/bin/env bash
# The token signing keys of ogi-accounts: the Secret ogi-signing-keys, mounted
# at /etc/ogi-signing-keys (auth.signing_keys_dir in ogi.toml). It holds
# Ed25519 private keys `<key id>.pem` (PKCS#8, as `openssl genpkey -algorithm
# ed25519` writes them) and `current`, the key id that signs new tokens; every
# other key only verifies the tokens it signed. The accounts service re-reads
# the files whenever it signs or publishes its keys, and every service re-reads
# the public keys at most `revocation_refresh_secs` (60 s) apart.
#
# Rotation without downtime, three steps (deploy/README.md, 签名密钥):
#   add       a new key, not yet current: wait until the kubelet has updated
#             the mounted files (about a minute) and every service has read
#             the new public key (another minute)
#   activate  make it current: new tokens are signed by it, tokens of the old
#             key stay valid
#   retire    remove the old key once its tokens have expired (the security
#             policy's token lifetime, 15 minutes by default)
#
# Usage:
#   deploy/accounts/signing-keys.sh create NAMESPACE         first key, current
#   deploy/accounts/signing-keys.sh add NAMESPACE            step 1 (prints the key id)
#   deploy/accounts/signing-keys.sh activate NAMESPACE KID   step 2
#   deploy/accounts/signing-keys.sh retire NAMESPACE KID     step 3
#   deploy/accounts/signing-keys.sh list NAMESPACE
#
# Needs kubectl with access to NAMESPACE, openssl and base64.
set -euo pipefail

SECRET=ogi-signing-keys

die() { echo "signing-keys: error: $*" >&2; exit 1; }
log() { echo "signing-keys: $*" >&2; }

new_kid() { date -u +%Y%m%d%H%M%S; }

# Prints the base64 of a new key's PEM.
new_key() { openssl genpkey -algorithm ed25519 | base64 -w0; }

patch() {
    local ns="$1" json="$2"
    kubectl -n "$ns" patch secret "$SECRET" --type=json -p "$json" >/dev/null
}

keys_of() {
    kubectl -n "$1" get secret "$SECRET" -o go-template='{{range $k, $v := .data}}{{$k}}{{"\n"}}{{end}}'
}

current_of() {
    kubectl -n "$1" get secret "$SECRET" -o go-template='{{index .data "current"}}' | base64 -d
}

case "${1:-}" in
    create)
        ns="${2:?namespace}"
        if kubectl -n "$ns" get secret "$SECRET" >/dev/null 2>&1; then
            log "Secret $SECRET exists: left alone"
            exit 0
        fi
        kid="$(new_kid)"
        openssl genpkey -algorithm ed25519 -out "/tmp/$kid.pem"
        trap 'rm -f "/tmp/$kid.pem"' EXIT
        kubectl -n "$ns" create secret generic "$SECRET" \
            --from-file="$kid.pem=/tmp/$kid.pem" --from-literal=current="$kid"
        kubectl -n "$ns" label secret "$SECRET" app.kubernetes.io/part-of=ogi app.kubernetes.io/name=ogi-accounts
        log "created $SECRET with key $kid (current)"
        ;;
    add)
        ns="${2:?namespace}"
        kid="$(new_kid)"
        patch "$ns" "[{\"op\":\"add\",\"path\":\"/data/$kid.pem\",\"value\":\"$(new_key)\"}]"
        log "added key $kid; after two minutes: $0 activate $ns $kid"
        echo "$kid"
        ;;
    activate)
        ns="${2:?namespace}" kid="${3:?key id}"
        keys_of "$ns" | grep -qx "$kid.pem" || die "no key $kid in $SECRET"
        old="$(current_of "$ns")"
        patch "$ns" "[{\"op\":\"replace\",\"path\":\"/data/current\",\"value\":\"$(printf %s "$kid" | base64 -w0)\"}]"
        log "key $kid signs new tokens; after the token lifetime: $0 retire $ns $old"
        ;;
    retire)
        ns="${2:?namespace}" kid="${3:?key id}"
        [[ "$(current_of "$ns")" != "$kid" ]] || die "$kid is current: activate another key first"
        keys_of "$ns" | grep -qx "$kid.pem" || die "no key $kid in $SECRET"
        patch "$ns" "[{\"op\":\"remove\",\"path\":\"/data/$kid.pem\"}]"
        log "key $kid removed: its tokens are refused from the next key refresh on"
        ;;
    list)
        ns="${2:?namespace}"
        echo "current: $(current_of "$ns")"
        keys_of "$ns" | sed -n 's/\.pem$//p'
        ;;
    *)
        sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
