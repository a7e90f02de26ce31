"""What deploy/ gives Kepu's processes: the environment of each Kubernetes workload (its
ConfigMap and its secretKeyRefs) and of compose's services, read from the files as written, and
the rules every setting must follow there (tests/deploy/test_manifests.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "env.example"
SECRET = "kepu-secrets"
CONFIGMAP = "kepu-config"
# The workloads that run Kepu, each needing every setting (the migration reads them all too:
# production mode checks the secrets before anything else).
WORKLOADS = {
    "kepu-api": "api.yaml",
    "kepu-worker": "worker.yaml",
    "kepu-migrate": "migrate-job.yaml",
}

# Settings that carry a password or a key: only through the Secret, never in the ConfigMap.
SECRETS = {
    "jwt_secret",
    "jwt_previous_secret",
    "storage_secret",
    "s3_access_key",
    "s3_secret_key",
    "wechat_secret",
    "metrics_token",
    "database_url",
    "database_replica_url",
    "redis_url",
    "cdn_purge_token",
}
# Secrets an installation may go without (their part unused): optional secretKeyRefs. The
# others stop the pod from starting when the Secret lacks them.
OPTIONAL_SECRETS = {
    "jwt_previous_secret",
    "storage_secret",
    "database_replica_url",
    "cdn_purge_token",
}


def env_name(setting: str) -> str:
    return "KEPU_" + setting.upper()


def settings_names() -> set[str]:
    """Every setting, as the environment variable that sets it."""
    return {env_name(name) for name in Settings.model_fields}


@dataclass
class Workload:
    name: str
    path: Path
    config: dict[str, str]  # from the ConfigMap, through envFrom
    secret_refs: dict[str, dict[str, Any]]  # env name → its secretKeyRef
    literal: set[str]  # env names given a value in the manifest itself


def documents(directory: Path = K8S) -> dict[str, list[dict[str, Any]]]:
    """Every YAML document under ``directory``, by file name (the kustomization aside)."""
    out = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            out[path.name] = [d for d in yaml.safe_load_all(path.read_text()) if d]
    return out


def _find(docs: Mapping[str, list[dict[str, Any]]], kind: str, name: str) -> dict[str, Any]:
    for file_docs in docs.values():
        for doc in file_docs:
            if doc.get("kind") == kind and doc["metadata"]["name"] == name:
                return doc
    raise LookupError(f"no {kind} {name} in deploy/k8s")


def configmap(docs: Mapping[str, list[dict[str, Any]]]) -> dict[str, str]:
    return dict(_find(docs, "ConfigMap", CONFIGMAP)["data"])


def workloads(docs: Mapping[str, list[dict[str, Any]]]) -> list[Workload]:
    data = configmap(docs)
    out = []
    for name, file in WORKLOADS.items():
        kind = "Job" if file.startswith("migrate") else "Deployment"
        (container,) = _find(docs, kind, name)["spec"]["template"]["spec"]["containers"]
        config: dict[str, str] = {}
        for source in container.get("envFrom", []):
            if source.get("configMapRef", {}).get("name") == CONFIGMAP:
                config |= data
        refs, literal = {}, set()
        for var in container.get("env", []):
            ref = var.get("valueFrom", {}).get("secretKeyRef")
            if ref is not None:
                refs[var["name"]] = ref
            else:
                literal.add(var["name"])
        out.append(Workload(name, K8S / file, config, refs, literal))
    return out


def k8s_problems(docs: Mapping[str, list[dict[str, Any]]]) -> list[str]:
    """Each way the manifests break the rules for settings, said with where to fix it."""
    wanted = settings_names()
    secrets = {env_name(s) for s in SECRETS}
    problems = []
    data = configmap(docs)
    problems += [
        f"{name} is a secret: move it from deploy/k8s/configmap.yaml to the Secret {SECRET} "
        "(a secretKeyRef in api.yaml, worker.yaml and migrate-job.yaml)"
        for name in sorted(secrets & data.keys())
    ]
    problems += [
        f"deploy/k8s/configmap.yaml sets {name}, which is no setting of infra/settings.py: "
        "remove it, or add the setting"
        for name in sorted(data.keys() - wanted)
    ]
    for w in workloads(docs):
        where = f"deploy/k8s/{w.path.name} ({w.name})"
        given = w.config.keys() | w.secret_refs.keys()
        for name in sorted(wanted - given):
            fix = (
                f"a secretKeyRef to {SECRET} in its env"
                if name in secrets
                else "a key of deploy/k8s/configmap.yaml"
            )
            problems.append(f"{name} is missing from {where}: add it as {fix}")
        for name in sorted(w.secret_refs.keys() - wanted):
            problems.append(f"{where} sets {name}, which is no setting of infra/settings.py")
        for name, ref in sorted(w.secret_refs.items()):
            if ref.get("name") != SECRET or ref.get("key") != name:
                problems.append(f"{where}: {name} must come from key {name} of {SECRET}")
            optional = name.removeprefix("KEPU_").lower() in OPTIONAL_SECRETS
            if bool(ref.get("optional")) != optional:
                problems.append(f"{where}: {name}'s secretKeyRef must have optional: {optional}")
        problems += [
            f"{where} writes {name}'s value into the manifest: use the ConfigMap or the Secret"
            for name in sorted(w.literal)
            if name.startswith("KEPU_")
        ]
    return problems


_ENTRY = re.compile(r"^(KEPU_[A-Z0-9_]+)(?:=(.*))?$", re.S)
_VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def compose_env() -> dict[str, str | None]:
    """The KEPU_ entries of compose's shared environment as written (None: a bare name,
    passed on from deploy/.env only when set there)."""
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    out: dict[str, str | None] = {}
    for service in ("api", "worker", "migrate"):
        for entry in services[service]["environment"]:
            if (match := _ENTRY.match(entry)) is not None:
                out[match[1]] = match[2]
    return out


def env_file(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines())
    return {p[0]: p[1] for p in pairs if len(p) == 2 and not p[0].startswith("#")}


def interpolate(entries: Mapping[str, str | None], values: Mapping[str, str]) -> dict[str, str]:
    """What compose would hand the container, with ``values`` as deploy/.env."""

    def one(match: re.Match[str]) -> str:
        name, how, default = match[1], match[2], match[3]
        if values.get(name):
            return values[name]
        if how == "?":
            raise LookupError(f"compose refuses to start: {default}")
        return default or ""

    out = {}
    for name, value in entries.items():
        if value is None:
            if name in values:
                out[name] = values[name]
        else:
            out[name] = _VARIABLE.sub(one, value)
    return out
