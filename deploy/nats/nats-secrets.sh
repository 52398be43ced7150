#!/usr/bin/env bash
# NATS credentials of the ogi services: every service signs in to NATS as its
# own user, allowed to publish only its own subjects (config.merge.authorization
# in deploy/nats/values.yaml). Each has a Secret ogi-nats-<service>:
#   password  random, 48 hex characters (the NATS server reads it as
#             $OGI_NATS_<SERVICE>, container.env in values.yaml)
#   url       nats://<service>:<password>@nats:4222 (the service's OGI_NATS_URL)
# and ogi-nats-admin holds the password of the operators' user `admin`.
#
# Usage:
#   deploy/nats/nats-secrets.sh create NAMESPACE
#       create the missing Secrets (existing ones are left alone); run before
#       installing the NATS release and applying the overlay
#   deploy/nats/nats-secrets.sh rotate NAMESPACE SERVICE|admin
#       new password: update the Secret, restart NATS (rolling, it reads the
#       passwords at start), then the service's pods
#
# Needs kubectl with access to NAMESPACE, and od (coreutils) for randomness.
set -euo pipefail

SERVICES=(accounts intake validation approval publishing reporting)
HOST="${OGI_NATS_HOST:-nats}"

die() { echo "nats-secrets: error: $*" >&2; exit 1; }
log() { echo "nats-secrets: $*" >&2; }

random_password() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

secret_yaml() {
    local user="$1" password="$2"
    local args=(--from-literal=password="$password")
    [[ "$user" == admin ]] || args+=(--from-literal=url="nats://$user:$password@$HOST:4222")
    kubectl create secret generic "ogi-nats-$user" --dry-run=client -o yaml "${args[@]}" \
        | kubectl label --local -f - -o yaml app.kubernetes.io/part-of=ogi
}

case "${1:-}" in
    create)
        ns="${2:?namespace}"
        for user in "${SERVICES[@]}" admin; do
            if kubectl -n "$ns" get secret "ogi-nats-$user" >/dev/null 2>&1; then
                log "ogi-nats-$user exists: left alone"
            else
                secret_yaml "$user" "$(random_password)" | kubectl -n "$ns" apply -f - >/dev/null
                log "created ogi-nats-$user"
            fi
        done
        ;;
    rotate)
        ns="${2:?namespace}" user="${3:?service or admin}"
        [[ " ${SERVICES[*]} admin " == *" $user "* ]] || die "unknown user $user"
        secret_yaml "$user" "$(random_password)" | kubectl -n "$ns" apply -f - >/dev/null
        kubectl -n "$ns" rollout restart statefulset/nats
        kubectl -n "$ns" rollout status statefulset/nats
        [[ "$user" == admin ]] || kubectl -n "$ns" rollout restart "deployment/ogi-$user"
        log "rotated ogi-nats-$user"
        ;;
    *)
        sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
