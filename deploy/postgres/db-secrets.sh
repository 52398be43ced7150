#!/usr/bin/env bash
# Database credentials of the ogi services (one PostgreSQL role and database
# per service in the CloudNativePG cluster ogi-pg, see cluster.yaml).
#
# Each service has a Secret ogi-pg-<service> of type kubernetes.io/basic-auth:
#   username  the role (= the database name)
#   password  random, 48 hex characters
#   uri       postgresql://<role>:<password>@ogi-pg-rw:5432/<role>?sslmode=require
# CloudNativePG sets the role's password from it (spec.managed.roles); the
# service reads `uri` as OGI_DATABASE_URL. The label cnpg.io/reload makes the
# operator react to changes at once.
#
# Usage:
#   deploy/postgres/db-secrets.sh create NAMESPACE
#       create the missing Secrets (existing ones are left alone); run before
#       applying the overlay the first time
#   deploy/postgres/db-secrets.sh rotate NAMESPACE SERVICE|all
#       new password: update the Secret, wait until CloudNativePG has applied
#       it to the role, then restart the service's pods (rolling)
#   deploy/postgres/db-secrets.sh manifest SERVICE
#       print the Secret with a new random password and touch no cluster (for
#       sealed-secrets or another secret store; scripts/check-deploy.sh
#       validates this output)
#
# Needs kubectl with access to NAMESPACE, and od (coreutils) for randomness.
set -euo pipefail

SERVICES=(intake validation approval publishing reporting accounts)
CLUSTER="${OGI_PG_CLUSTER:-ogi-pg}"
HOST="${OGI_PG_HOST:-$CLUSTER-rw}"

die() { echo "db-secrets: error: $*" >&2; exit 1; }
log() { echo "db-secrets: $*" >&2; }

random_password() {
    od -An -N24 -tx1 /dev/urandom | tr -d ' \n'
}

# Prints the Secret manifest of $1 (service) with password $2.
secret_yaml() {
    local svc="$1" password="$2"
    kubectl create secret generic "ogi-pg-$svc" --dry-run=client -o yaml \
        --type kubernetes.io/basic-auth \
        --from-literal=username="$svc" \
        --from-literal=password="$password" \
        --from-literal=uri="postgresql://$svc:$password@$HOST:5432/$svc?sslmode=require" \
        | kubectl label --local -f - -o yaml \
            cnpg.io/reload=true app.kubernetes.io/part-of=ogi app.kubernetes.io/name="ogi-$svc"
}

check_service() {
    local svc
    for svc in "${SERVICES[@]}"; do [[ "$svc" == "$1" ]] && return 0; done
    die "unknown service $1 (one of: ${SERVICES[*]}, all)"
}

create() {
    local ns="$1" svc
    for svc in "${SERVICES[@]}"; do
        if kubectl -n "$ns" get secret "ogi-pg-$svc" >/dev/null 2>&1; then
            log "ogi-pg-$svc exists, left alone"
        else
            secret_yaml "$svc" "$(random_password)" | kubectl -n "$ns" create -f - >/dev/null
            log "created ogi-pg-$svc"
        fi
    done
}

rotate_one() {
    local ns="$1" svc="$2" version applied=""
    secret_yaml "$svc" "$(random_password)" | kubectl -n "$ns" apply -f - >/dev/null
    version="$(kubectl -n "$ns" get secret "ogi-pg-$svc" -o jsonpath='{.metadata.resourceVersion}')"
    log "ogi-pg-$svc updated (resourceVersion $version); waiting for $CLUSTER to apply it"
    for _ in $(seq 1 60); do
        applied="$(kubectl -n "$ns" get cluster "$CLUSTER" \
            -o jsonpath="{.status.managedRolesStatus.passwordStatus.$svc.resourceVersion}" 2>/dev/null || true)"
        [[ "$applied" == "$version" ]] && break
        sleep 2
    done
    [[ "$applied" == "$version" ]] \
        || die "$CLUSTER has not applied the new password of $svc after 120 s; see kubectl -n $ns describe cluster $CLUSTER"
    # Connections already open stay valid; new ones need the new password.
    kubectl -n "$ns" rollout restart "deployment/ogi-$svc"
    kubectl -n "$ns" rollout status "deployment/ogi-$svc" --timeout=10m
}

usage="usage: $0 create NAMESPACE | rotate NAMESPACE SERVICE|all | manifest SERVICE"
[[ $# -ge 2 ]] || die "$usage"
command="$1"
ns="$2"
case "$command" in
    manifest)
        check_service "$2"
        secret_yaml "$2" "$(random_password)"
        ;;
    create)
        create "$ns"
        ;;
    rotate)
        [[ $# -eq 3 ]] || die "usage: $0 rotate NAMESPACE SERVICE|all"
        if [[ "$3" == all ]]; then
            for svc in "${SERVICES[@]}"; do rotate_one "$ns" "$svc"; done
        else
            check_service "$3"
            rotate_one "$ns" "$3"
        fi
        ;;
    *)
        die "$usage"
        ;;
esac
