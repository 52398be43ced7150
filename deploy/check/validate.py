#!/usr/bin/env python3
"""Offline validation of rendered ogi manifests (run by scripts/check-deploy.sh).

For every rendered overlay (a multi-document YAML file):

1. Built-in kinds are validated in strict mode (unknown fields are errors)
   against the Kubernetes JSON schemas bundled with kubernetes-validate, for
   each requested Kubernetes version. A kind without a schema is an error.
2. CloudNativePG kinds (Cluster, ScheduledBackup) are validated against the
   vendored CRD schemas in deploy/schemas/, made strict the same way.
3. ogi's own rules, which no schema knows: ports, probes and grace periods
   agree with the configuration; every service has its migration Job, PDB,
   NetworkPolicy and database; images are pinned; checkov skips carry reasons.

It also checks the NATS Helm values files (deploy/nats/*.yaml) for the keys
ogi depends on.

Usage: validate.py --k8s-version 1.30 --k8s-version 1.37 \
           --schemas deploy/schemas --overlay dev=FILE --overlay prod=FILE \
           [--schema-only NAME=FILE] [--nats-values deploy/nats/values.yaml]
Prints one line per problem and a closing "N passed, N failed" line; exits 1
on any failure.
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import re
import sys
import tomllib
from pathlib import Path

import jsonschema
import yaml

import kubernetes_validate.utils as kv

# kubernetes-validate reads the large _definitions.json for every resource;
# the files never change during a run.
kv.schema_contents = functools.lru_cache(maxsize=None)(kv.schema_contents)

# The services and what the manifests must say about each.
SERVICES = {
    "intake": (50051, "ogi.v1.IntakeService"),
    "validation": (50052, "ogi.v1.ValidationService"),
    "approval": (50053, "ogi.v1.ApprovalService"),
    "publishing": (50054, "ogi.v1.PublishingService"),
    "reporting": (50055, "ogi.v1.ReportingService"),
    "accounts": (50056, "ogi.v1.AccountsService"),
}
ADMIN_PORT = 9090
# The web console's HTTP port.
CONSOLE_PORT = 8080
RUN_AS_USER = 10001
# Keys ogi's ServiceConfig accepts (serde deny_unknown_fields).
CONFIG_KEYS = {
    "listen", "admin_listen", "database_url", "nats_url", "stream_replicas", "calendar_file",
    "shutdown_grace_secs", "log_json", "otlp_endpoint", "deadlines", "agencies", "accounts_url",
    "production", "auth",
}
CRD_SCHEMAS = {
    ("postgresql.cnpg.io/v1", "Cluster"): "postgresql.cnpg.io_cluster_v1.json",
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): "postgresql.cnpg.io_scheduledbackup_v1.json",
}
CHECKOV_SKIP = re.compile(r"^(CKV2?_[A-Z0-9]+_\d+)=([^=]{20,})$", re.S)  # checkov splits on "="


class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def ok(self) -> None:
        self.passed += 1

    def fail(self, where: str, message: str) -> None:
        self.failed += 1
        print(f"FAIL {where}: {message}")

    def check(self, cond: bool, where: str, message: str) -> bool:
        if cond:
            self.ok()
        else:
            self.fail(where, message)
        return cond


# ---------------------------------------------------------------- CRD schemas

def strict_crd_schema(schema: dict, api_version: str, kind: str) -> dict:
    """An openAPIV3Schema as a strict JSON schema: objects reject unknown
    properties, `nullable` admits null, int-or-string admits both."""

    def walk(node):
        if isinstance(node, list):
            return [walk(n) for n in node]
        if not isinstance(node, dict):
            return node
        node = {k: walk(v) for k, v in node.items()}
        if node.get("x-kubernetes-int-or-string") and "type" not in node:
            node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
        if node.get("nullable") and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        if (
            node.get("type") in ("object", ["object", "null"])
            and "properties" in node
            and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
        ):
            node["additionalProperties"] = False
        return node

    out = walk(copy.deepcopy(schema))
    out.pop("$comment", None)
    out.pop("x-source", None)
    props = out.setdefault("properties", {})
    props["apiVersion"] = {"const": api_version}
    props["kind"] = {"const": kind}
    props["metadata"] = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 50},
            "namespace": {"type": "string"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "additionalProperties": False,
    }
    out["required"] = sorted(set(out.get("required", [])) | {"apiVersion", "kind", "metadata", "spec"})
    out["type"] = "object"
    out["additionalProperties"] = False
    return out


@functools.lru_cache(maxsize=None)
def crd_validator(schemas_dir: str, api_version: str, kind: str):
    raw = json.loads((Path(schemas_dir) / CRD_SCHEMAS[(api_version, kind)]).read_text())
    schema = strict_crd_schema(raw, api_version, kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


# ---------------------------------------------------------------- schemas

def validate_schemas(rep: Report, overlay: str, docs: list[dict], versions: list[str], schemas_dir: str) -> None:
    for doc in docs:
        key = (doc.get("apiVersion"), doc.get("kind"))
        where = f"{overlay} {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        if key in CRD_SCHEMAS:
            errors = sorted(crd_validator(schemas_dir, *key).iter_errors(doc), key=lambda e: list(e.path))
            if errors:
                for e in errors[:10]:
                    rep.fail(where, f"CRD schema: {'.'.join(map(str, e.path)) or '(root)'}: {e.message}")
            else:
                rep.ok()
            continue
        for version in versions:
            try:
                kv.validate(doc, version, strict=True)
                rep.ok()
            except kv.ValidationError as e:
                path = ".".join(str(p) for p in e.path)
                rep.fail(where, f"Kubernetes {version} strict schema: {path}: {e.message}")
            except kv.SchemaNotFoundError as e:
                rep.fail(where, f"no schema: {e.message}")


# ---------------------------------------------------------------- ogi rules

def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d.get("kind") == kind}


def labels_match(selector: dict, labels: dict) -> bool:
    if set(selector) - {"matchLabels"}:
        return False  # only matchLabels is used in ogi's manifests
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def env_map(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", [])}


def check_pod(rep: Report, where: str, pod: dict, docs: list[dict]) -> None:
    spec = pod["spec"]
    rep.check(spec.get("automountServiceAccountToken") is False, where, "automountServiceAccountToken must be false")
    rep.check(spec.get("serviceAccountName") == "ogi", where, "serviceAccountName must be ogi")
    psc = spec.get("securityContext", {})
    rep.check(psc.get("runAsNonRoot") is True and psc.get("runAsUser") == RUN_AS_USER, where,
              f"pod must run as non-root uid {RUN_AS_USER}")
    rep.check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", where, "pod seccompProfile RuntimeDefault")
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for c in spec["containers"]:
        cw = f"{where} container {c['name']}"
        sc = c.get("securityContext", {})
        rep.check(sc.get("readOnlyRootFilesystem") is True, cw, "readOnlyRootFilesystem must be true")
        rep.check(sc.get("allowPrivilegeEscalation") is False, cw, "allowPrivilegeEscalation must be false")
        rep.check(sc.get("capabilities", {}).get("drop") == ["ALL"], cw, "capabilities must drop ALL")
        tmp = [m for m in c.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
        rep.check(bool(tmp) and "emptyDir" in volumes.get(tmp[0]["name"], {}), cw, "/tmp must be an emptyDir")
        res = c.get("resources", {})
        rep.check(all(k in res.get("requests", {}) for k in ("cpu", "memory"))
                  and all(k in res.get("limits", {}) for k in ("cpu", "memory")), cw,
                  "cpu and memory requests and limits required")
        image = c.get("image", "")
        tag = image.rsplit("/", 1)[-1]
        rep.check(("@sha256:" in image) or (":" in tag and not tag.endswith(":latest")), cw,
                  f"image must be pinned by tag or digest, got {image!r}")
        for src in c.get("envFrom", []):
            ref = src.get("configMapRef", {}).get("name")
            if ref:
                rep.check(ref in by_kind(docs, "ConfigMap"), cw, f"envFrom ConfigMap {ref} is not rendered")


def check_ogi(rep: Report, overlay: str, docs: list[dict], expect: dict) -> None:
    cms = by_kind(docs, "ConfigMap")
    deployments = by_kind(docs, "Deployment")
    services = by_kind(docs, "Service")
    jobs = by_kind(docs, "Job")
    pdbs = by_kind(docs, "PodDisruptionBudget")
    hpas = by_kind(docs, "HorizontalPodAutoscaler")
    netpols = by_kind(docs, "NetworkPolicy")
    clusters = by_kind(docs, "Cluster")

    # The TOML every service reads.
    config_cms = [cm for name, cm in cms.items() if name.startswith("ogi-config")]
    if not rep.check(len(config_cms) == 1, overlay, "exactly one ogi-config ConfigMap expected"):
        return
    config_cm = config_cms[0]
    try:
        config = tomllib.loads(config_cm["data"]["ogi.toml"])
        rep.ok()
    except (KeyError, tomllib.TOMLDecodeError) as e:
        rep.fail(overlay, f"ogi-config ogi.toml does not parse: {e}")
        return
    unknown = set(config) - CONFIG_KEYS
    rep.check(not unknown, overlay, f"ogi.toml has keys ogi rejects: {sorted(unknown)}")
    grace = config.get("shutdown_grace_secs", 20)
    replicas = config.get("stream_replicas", 1)
    rep.check(replicas == expect["stream_replicas"], overlay,
              f"stream_replicas is {replicas}, expected {expect['stream_replicas']}")
    env_cms = [cm for name, cm in cms.items() if name.startswith("ogi-env")]
    if rep.check(len(env_cms) == 1, overlay, "exactly one ogi-env ConfigMap expected"):
        rep.check("OGI_NATS_URL" not in env_cms[0]["data"], overlay,
                  "OGI_NATS_URL must not be shared (ogi-env): each service signs in to NATS as its own user")
        log_json = env_cms[0]["data"].get("OGI_LOG_JSON", "true")
        rep.check(log_json in ("true", "false"), overlay, "OGI_LOG_JSON must be true or false (clap bool)")

    # The default deny must cover every ogi pod.
    deny = netpols.get("ogi-default-deny")
    if rep.check(deny is not None, overlay, "NetworkPolicy ogi-default-deny missing"):
        rep.check(sorted(deny["spec"].get("policyTypes", [])) == ["Egress", "Ingress"]
                  and not deny["spec"].get("ingress") and not deny["spec"].get("egress"),
                  overlay, "ogi-default-deny must deny both directions")
    for name in ("ogi-allow-dns", "ogi-allow-nats", "ogi-allow-postgres", "ogi-allow-grpc-between-services"):
        rep.check(name in netpols, overlay, f"NetworkPolicy {name} missing")

    cluster = next(iter(clusters.values()), None)
    roles = {}
    post_init = []
    if rep.check(cluster is not None, overlay, "the CloudNativePG Cluster must be rendered"):
        roles = {r["name"]: r for r in cluster["spec"].get("managed", {}).get("roles", [])}
        post_init = cluster["spec"].get("bootstrap", {}).get("initdb", {}).get("postInitSQL", [])
        rep.check(cluster["spec"]["instances"] == expect["pg_instances"], overlay,
                  f"Cluster instances {cluster['spec']['instances']}, expected {expect['pg_instances']}")

    for svc, (port, grpc_name) in SERVICES.items():
        name = f"ogi-{svc}"
        where = f"{overlay} {name}"
        dep = deployments.get(name)
        if not rep.check(dep is not None, where, "Deployment missing"):
            continue
        pod = dep["spec"]["template"]
        labels = pod["metadata"].get("labels", {})
        rep.check(labels.get("app.kubernetes.io/part-of") == "ogi", where, "pods must be labelled part-of=ogi")
        rep.check(labels_match(deny["spec"]["podSelector"], labels) if deny else False, where,
                  "pods not selected by ogi-default-deny")
        check_pod(rep, where, pod, docs)
        (c,) = pod["spec"]["containers"]
        rep.check(c.get("command") == [f"/usr/local/bin/ogi-{svc}"], where, "command must be the service binary")
        # One image per binary (scripts/build-images.sh): REGISTRY/…/ogi-<svc>:TAG or @sha256:….
        image = c.get("image", "")
        repository = image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
        rep.check(repository == name, where, f"image must be the service's own image {name}, got {image!r}")
        env = env_map(c)
        rep.check(env.get("OGI_LISTEN", {}).get("value") == f"0.0.0.0:{port}", where, f"OGI_LISTEN must be 0.0.0.0:{port}")
        rep.check(env.get("OGI_ADMIN_LISTEN", {}).get("value") == f"0.0.0.0:{ADMIN_PORT}", where,
                  f"OGI_ADMIN_LISTEN must be 0.0.0.0:{ADMIN_PORT} (the admin port the Service and Prometheus use)")
        secret_ref = env.get("OGI_DATABASE_URL", {}).get("valueFrom", {}).get("secretKeyRef", {})
        rep.check(secret_ref == {"name": f"ogi-pg-{svc}", "key": "uri"}, where,
                  f"OGI_DATABASE_URL must come from Secret ogi-pg-{svc} key uri")
        rep.check("OGI_MIGRATE_ONLY" not in env, where, "the Deployment must not set OGI_MIGRATE_ONLY")
        nats_ref = env.get("OGI_NATS_URL", {}).get("valueFrom", {}).get("secretKeyRef", {})
        rep.check(nats_ref == {"name": f"ogi-nats-{svc}", "key": "url"}, where,
                  f"OGI_NATS_URL must come from Secret ogi-nats-{svc} key url (its own NATS user)")
        if svc == "accounts":
            keys_dir = (config.get("auth") or {}).get("signing_keys_dir")
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            volumes = {v["name"]: v for v in pod["spec"].get("volumes", [])}
            secret = volumes.get(mounts.get(keys_dir, ""), {}).get("secret", {})
            rep.check(bool(keys_dir) and secret.get("secretName") == "ogi-signing-keys", where,
                      "the signing keys must be the Secret ogi-signing-keys mounted at auth.signing_keys_dir")
        ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
        rep.check(ports == {"grpc": port, "admin": ADMIN_PORT}, where, f"container ports must be grpc {port} and admin {ADMIN_PORT}")
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            g = c.get(probe, {}).get("grpc")
            rep.check(g == {"port": port, "service": grpc_name}, where, f"{probe} must be grpc {port} {grpc_name}")
        live = c.get("livenessProbe", {})
        rep.check(live.get("periodSeconds", 10) * live.get("failureThreshold", 3) > grace, where,
                  "liveness must tolerate NOT_SERVING for longer than shutdown_grace_secs")
        pre_stop = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
        tgps = pod["spec"].get("terminationGracePeriodSeconds", 30)
        rep.check(tgps > grace + pre_stop, where,
                  f"terminationGracePeriodSeconds {tgps} must exceed shutdown_grace_secs {grace} + preStop {pre_stop}")

        svc_obj = services.get(name)
        if rep.check(svc_obj is not None, where, "Service missing"):
            rep.check(labels_match({"matchLabels": svc_obj["spec"]["selector"]}, labels), where, "Service selector misses the pods")
            sports = {p["name"]: (p["port"], p["targetPort"]) for p in svc_obj["spec"]["ports"]}
            rep.check(sports == {"grpc": (port, "grpc"), "admin": (ADMIN_PORT, "admin")}, where, "Service ports grpc/admin wrong")

        pdb = pdbs.get(name)
        if rep.check(pdb is not None, where, "PodDisruptionBudget missing"):
            rep.check(labels_match(pdb["spec"]["selector"], labels), where, "PDB selector misses the pods")
            for k, v in expect["pdb"].items():
                rep.check(pdb["spec"].get(k) == v, where, f"PDB {k} must be {v}, is {pdb['spec'].get(k)}")

        hpa = hpas.get(name)
        if expect["hpa"] is None:
            rep.check(hpa is None, where, "no HPA expected")
            rep.check(dep["spec"].get("replicas") == expect["replicas"], where,
                      f"replicas must be {expect['replicas']}")
        elif rep.check(hpa is not None, where, "HPA missing"):
            rep.check((hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == expect["hpa"], where,
                      f"HPA must scale {expect['hpa']}")
            rep.check(hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                      where, "HPA targets the wrong object")
            rep.check("replicas" not in dep["spec"], where, "the HPA owns replicas: the Deployment must not set them")

        ingress = netpols.get(f"{name}-ingress")
        if rep.check(ingress is not None, where, "ingress NetworkPolicy missing"):
            rep.check(labels_match(ingress["spec"]["podSelector"], labels), where, "ingress NetworkPolicy misses the pods")
            allowed = {p["port"] for rule in ingress["spec"].get("ingress", []) for p in rule.get("ports", [])}
            rep.check(allowed == {port, ADMIN_PORT}, where, f"ingress must open exactly {port} and {ADMIN_PORT}")

        job = jobs.get(f"{name}-migrate")
        if rep.check(job is not None, where, "migration Job missing"):
            jw = f"{overlay} {name}-migrate"
            jpod = job["spec"]["template"]
            jlabels = jpod["metadata"].get("labels", {})
            rep.check(labels_match(deny["spec"]["podSelector"], jlabels) if deny else False, jw,
                      "Job pods not selected by ogi-default-deny")
            behind_service = svc_obj is not None and labels_match({"matchLabels": svc_obj["spec"]["selector"]}, jlabels)
            rep.check(not behind_service, jw, "Job pods must not be behind the Service")
            check_pod(rep, jw, jpod, docs)
            (jc,) = jpod["spec"]["containers"]
            jenv = env_map(jc)
            rep.check(jenv.get("OGI_MIGRATE_ONLY", {}).get("value") == "true", jw, "OGI_MIGRATE_ONLY must be \"true\"")
            rep.check("OGI_ADMIN_LISTEN" not in jenv, jw, "the Job serves no admin port")
            rep.check(jc.get("image") == c.get("image") and jc.get("command") == c.get("command"), jw,
                      "the Job must run the same image and binary as the Deployment")
            rep.check(jenv.get("OGI_DATABASE_URL") == env.get("OGI_DATABASE_URL"), jw, "the Job must use the service's database")
            rep.check(jpod["spec"].get("restartPolicy") in ("Never", "OnFailure"), jw, "restartPolicy Never or OnFailure")
            for k in ("backoffLimit", "ttlSecondsAfterFinished", "activeDeadlineSeconds"):
                rep.check(k in job["spec"], jw, f"{k} required")

        if cluster is not None:
            role = roles.get(svc)
            rep.check(role is not None and role.get("passwordSecret", {}).get("name") == f"ogi-pg-{svc}"
                      and role.get("login") is True, where,
                      f"Cluster must manage login role {svc} with passwordSecret ogi-pg-{svc}")
            rep.check(f"CREATE DATABASE {svc} OWNER {svc}" in post_init, where, f"postInitSQL must create database {svc}")

    check_console(rep, overlay, docs, deny, expect)

    # Every workload in the render is one of the services or its migration Job, or the console.
    known = {f"ogi-{s}" for s in SERVICES} | {f"ogi-{s}-migrate" for s in SERVICES} | {"ogi-console"}
    for d in docs:
        if d.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"):
            rep.check(d["metadata"]["name"] in known, overlay, f"unexpected {d['kind']} {d['metadata']['name']}")

    # checkov skips must name a check and give a reason.
    for d in docs:
        for k, v in d.get("metadata", {}).get("annotations", {}).items():
            if k.startswith("checkov.io/skip"):
                rep.check(bool(CHECKOV_SKIP.match(v)), f"{overlay} {d['kind']}/{d['metadata']['name']}",
                          f"{k} must be CKV_..=reason (20+ characters, no further =), got {v!r}")


def check_console(rep: Report, overlay: str, docs: list[dict], deny: dict | None, expect: dict) -> None:
    """The web console: an HTTP Deployment on CONSOLE_PORT calling every service, its Service,
    PDB, HPA (as the services'), NetworkPolicies and the Ingress example."""
    where = f"{overlay} ogi-console"
    dep = by_kind(docs, "Deployment").get("ogi-console")
    if not rep.check(dep is not None, where, "Deployment missing"):
        return
    pod = dep["spec"]["template"]
    labels = pod["metadata"].get("labels", {})
    rep.check(labels.get("app.kubernetes.io/part-of") == "ogi", where, "pods must be labelled part-of=ogi")
    rep.check(labels_match(deny["spec"]["podSelector"], labels) if deny else False, where,
              "pods not selected by ogi-default-deny")
    check_pod(rep, where, pod, docs)
    (c,) = pod["spec"]["containers"]
    rep.check(c.get("command") == ["/usr/local/bin/ogi-console"], where, "command must be the console binary")
    image = c.get("image", "")
    repository = image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
    rep.check(repository == "ogi-console", where, f"image must be ogi-console, got {image!r}")
    env = env_map(c)
    rep.check(env.get("OGI_CONSOLE_LISTEN", {}).get("value") == f"0.0.0.0:{CONSOLE_PORT}", where,
              f"OGI_CONSOLE_LISTEN must be 0.0.0.0:{CONSOLE_PORT}")
    rep.check(env.get("OGI_CONSOLE_SECURE_COOKIES", {}).get("value") == "true", where,
              "served over HTTPS: OGI_CONSOLE_SECURE_COOKIES must be \"true\"")
    for svc, (port, _) in SERVICES.items():
        addr = env.get(f"OGI_{svc.upper()}_ADDR", {}).get("value")
        rep.check(addr == f"http://ogi-{svc}:{port}", where, f"OGI_{svc.upper()}_ADDR must be http://ogi-{svc}:{port}")
    rep.check("OGI_DATABASE_URL" not in env, where, "the console has no database")
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    rep.check(ports == {"http": CONSOLE_PORT}, where, f"container port must be http {CONSOLE_PORT}")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        g = c.get(probe, {}).get("httpGet", {})
        rep.check(g.get("port") in ("http", CONSOLE_PORT) and g.get("path") == "/login", where,
                  f"{probe} must GET /login on the http port")
    svc_obj = by_kind(docs, "Service").get("ogi-console")
    if rep.check(svc_obj is not None, where, "Service missing"):
        rep.check(labels_match({"matchLabels": svc_obj["spec"]["selector"]}, labels), where, "Service selector misses the pods")
        sports = {p["name"]: (p["port"], p["targetPort"]) for p in svc_obj["spec"]["ports"]}
        rep.check(sports == {"http": (CONSOLE_PORT, "http")}, where, "Service port http wrong")
    pdb = by_kind(docs, "PodDisruptionBudget").get("ogi-console")
    if rep.check(pdb is not None, where, "PodDisruptionBudget missing"):
        rep.check(labels_match(pdb["spec"]["selector"], labels), where, "PDB selector misses the pods")
    hpa = by_kind(docs, "HorizontalPodAutoscaler").get("ogi-console")
    if expect["hpa"] is None:
        rep.check(hpa is None and dep["spec"].get("replicas") == expect["replicas"], where,
                  f"no HPA and replicas {expect['replicas']} expected")
    elif rep.check(hpa is not None, where, "HPA missing"):
        rep.check("replicas" not in dep["spec"], where, "the HPA owns replicas: the Deployment must not set them")
    netpols = by_kind(docs, "NetworkPolicy")
    ingress = netpols.get("ogi-console-ingress")
    if rep.check(ingress is not None, where, "ingress NetworkPolicy missing"):
        rep.check(labels_match(ingress["spec"]["podSelector"], labels), where, "ingress NetworkPolicy misses the pods")
        allowed = {p["port"] for rule in ingress["spec"].get("ingress", []) for p in rule.get("ports", [])}
        rep.check(allowed == {CONSOLE_PORT}, where, f"ingress must open exactly {CONSOLE_PORT}")
    egress = netpols.get("ogi-console-egress")
    if rep.check(egress is not None, where, "egress NetworkPolicy missing"):
        reach = [(p["port"], p.get("endPort", p["port"])) for rule in egress["spec"].get("egress", [])
                 for p in rule.get("ports", [])]
        for svc, (port, _) in SERVICES.items():
            rep.check(any(lo <= port <= hi for lo, hi in reach), where, f"egress must reach {svc}'s port {port}")
    ing = by_kind(docs, "Ingress").get("ogi-console")
    if rep.check(ing is not None, where, "Ingress example missing"):
        backends = [p["backend"]["service"] for r in ing["spec"].get("rules", []) for p in r["http"]["paths"]]
        rep.check(backends == [{"name": "ogi-console", "port": {"name": "http"}}], where,
                  "the Ingress must send / to the ogi-console Service's http port")
        rep.check(bool(ing["spec"].get("tls")), where, "the Ingress must serve HTTPS (tls)")


# ---------------------------------------------------------------- NATS values

def dig(d: dict, path: str):
    for part in path.split("."):
        if not isinstance(d, dict) or part not in d:
            return None
        d = d[part]
    return d


def check_nats(rep: Report, files: list[str]) -> None:
    """The first file is the production values; later ones are overrides."""
    for i, f in enumerate(files):
        where = f"nats {Path(f).name}"
        try:
            values = yaml.safe_load(Path(f).read_text()) or {}
            rep.ok()
        except yaml.YAMLError as e:
            rep.fail(where, f"does not parse: {e}")
            continue
        # The 1.x chart reads config.*, container.*; the 0.x layout would be ignored.
        rep.check("nats" not in values and "cluster" not in values, where,
                  "0.x chart keys (nats:, cluster:) - the 1.x chart reads config.*")
        if i > 0:
            continue
        for path, want in (("config.cluster.enabled", True), ("config.cluster.replicas", 3),
                           ("config.jetstream.enabled", True), ("config.jetstream.fileStore.enabled", True),
                           ("config.jetstream.fileStore.pvc.enabled", True)):
            rep.check(dig(values, path) == want, where, f"{path} must be {want!r}")
        rep.check(bool(dig(values, "config.jetstream.fileStore.pvc.size")), where, "fileStore.pvc.size required")
        res = dig(values, "container.merge.resources") or {}
        rep.check("requests" in res and "limits" in res, where, "container.merge.resources requests and limits")
        tag = str(dig(values, "container.image.tag") or "")
        m = re.match(r"^(\d+)\.(\d+)\.(\d+)", tag)
        rep.check(bool(m) and (int(m[1]), int(m[2])) >= (2, 10), where,
                  f"NATS image tag must be pinned >= 2.10, got {tag!r}")
        # Authentication: one user per service, publishing only its own subjects.
        users = {u.get("user"): u for u in (dig(values, "config.merge.authorization.users") or [])}
        env = dig(values, "container.env") or {}
        for svc in SERVICES:
            u = users.get(svc)
            if not rep.check(u is not None, where, f"NATS user {svc} missing (config.merge.authorization.users)"):
                continue
            var = f"OGI_NATS_{svc.upper()}"
            rep.check(u.get("password") == f"<< ${var} >>", where, f"user {svc}: password must be << ${var} >>")
            ref = (env.get(var) or {}).get("valueFrom", {}).get("secretKeyRef", {}) if isinstance(env.get(var), dict) else {}
            rep.check(ref == {"name": f"ogi-nats-{svc}", "key": "password"}, where,
                      f"container.env.{var} must come from Secret ogi-nats-{svc} key password")
            publish = dig(u, "permissions.publish.allow") or []
            own = [p for p in publish if p.startswith("ogi.")]
            rep.check(own == [f"ogi.{svc}.>"], where, f"user {svc} may publish only ogi.{svc}.>, allows {own}")
            rep.check(not any(p in (">", "*") for p in publish), where, f"user {svc} must not publish everywhere")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--k8s-version", action="append", required=True)
    ap.add_argument("--schemas", required=True)
    ap.add_argument("--overlay", action="append", required=True, help="NAME=rendered.yaml")
    ap.add_argument("--schema-only", action="append", default=[], help="NAME=file.yaml, schemas only")
    ap.add_argument("--nats-values", action="append", default=[])
    args = ap.parse_args()

    expectations = {
        "dev": {"stream_replicas": 1, "pg_instances": 1, "pdb": {"maxUnavailable": 1}, "hpa": None, "replicas": 1},
        "prod": {"stream_replicas": 3, "pg_instances": 3, "pdb": {"minAvailable": 2}, "hpa": (3, 10), "replicas": None},
    }
    rep = Report()
    for spec in args.overlay:
        name, _, path = spec.partition("=")
        docs = [d for d in yaml.safe_load_all(Path(path).read_text()) if d]
        print(f"== {name}: {len(docs)} objects")
        validate_schemas(rep, name, docs, args.k8s_version, args.schemas)
        if name in expectations:
            check_ogi(rep, name, docs, expectations[name])
        else:
            rep.fail(name, "no expectations for this overlay in deploy/check/validate.py")
    for spec in args.schema_only:
        name, _, path = spec.partition("=")
        docs = [d for d in yaml.safe_load_all(Path(path).read_text()) if d]
        print(f"== {name}: {len(docs)} objects (schemas only)")
        rep.check(bool(docs), name, "no objects")
        validate_schemas(rep, name, docs, args.k8s_version, args.schemas)
    if args.nats_values:
        check_nats(rep, args.nats_values)
    print(f"validate: {rep.passed} passed, {rep.failed} failed")
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
