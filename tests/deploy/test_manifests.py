"""deploy/ describes every setting, and secrets only as secrets: each field of Settings is in
the Kubernetes ConfigMap or a secretKeyRef of every workload, and in compose's environment;
nothing else KEPU_-prefixed is; what the files give makes valid production settings; and a
secret left out stops `kepu serve`, naming it."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from infra.settings import Settings
from tests.deploy import described as d

KEPU = Path(sys.executable).parent / "kepu"

# Real-looking values for the Secret (the manifests name the keys, the operator gives them).
SECRET_VALUES = {
    "KEPU_DATABASE_URL": "postgresql://kepu:pw@postgres.invalid:5432/kepu",
    "KEPU_DATABASE_REPLICA_URL": "postgresql://kepu:pw@replica.invalid:5432/kepu",
    "KEPU_REDIS_URL": "redis://:pw@redis.invalid:6379/0",
    "KEPU_JWT_SECRET": "j" * 48,
    "KEPU_JWT_PREVIOUS_SECRET": "p" * 48,
    "KEPU_STORAGE_SECRET": "s" * 48,
    "KEPU_S3_ACCESS_KEY": "kepu-app",
    "KEPU_S3_SECRET_KEY": "k" * 40,
    "KEPU_WECHAT_SECRET": "w" * 32,
    "KEPU_METRICS_TOKEN": "m" * 48,
    "KEPU_CDN_PURGE_TOKEN": "c" * 48,
}
# The secrets production mode itself refuses to start without, given the ConfigMap's values
# (an S3 endpoint and a WeChat appid are set). The database and Redis URLs are refused earlier:
# their secretKeyRefs are not optional, so Kubernetes does not start the pod without them.
REFUSED_WITHOUT = [
    "KEPU_JWT_SECRET",
    "KEPU_S3_ACCESS_KEY",
    "KEPU_S3_SECRET_KEY",
    "KEPU_WECHAT_SECRET",
]


def _settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in [n for n in os.environ if n.startswith("KEPU_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def _manifest_env(workload: d.Workload) -> dict[str, str]:
    return workload.config | {name: SECRET_VALUES[name] for name in workload.secret_refs}


def test_every_setting_is_given_to_every_workload_and_secrets_only_by_the_secret() -> None:
    assert d.k8s_problems(d.documents()) == []


def test_the_secret_lists_name_settings() -> None:
    # The settings themselves come from Settings.model_fields (described.settings_names), so a
    # setting added later fails the check above until the manifests give it.
    assert set(Settings.model_fields) >= d.SECRETS
    assert d.OPTIONAL_SECRETS <= d.SECRETS


def _without(docs: dict[str, list[dict[str, Any]]], file: str, name: str) -> None:
    for doc in docs[file]:
        for c in doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            c["env"] = [v for v in c.get("env", []) if v["name"] != name]


def test_a_workload_missing_a_secret_is_named_with_where_to_add_it() -> None:
    docs = copy.deepcopy(d.documents())
    _without(docs, "worker.yaml", "KEPU_JWT_SECRET")
    assert d.k8s_problems(docs) == [
        "KEPU_JWT_SECRET is missing from deploy/k8s/worker.yaml (kepu-worker): add it as a "
        "secretKeyRef to kepu-secrets in its env"
    ]


def test_a_secret_in_the_configmap_or_an_unknown_name_is_refused() -> None:
    docs = copy.deepcopy(d.documents())
    (config,) = docs["configmap.yaml"]
    config["data"] |= {"KEPU_REDIS_URL": "redis://:pw@redis:6379/0", "KEPU_REDIS_HOST": "redis"}
    del config["data"]["KEPU_LOG_JSON"]
    problems = "\n".join(d.k8s_problems(docs))
    assert "KEPU_REDIS_URL is a secret: move it from deploy/k8s/configmap.yaml" in problems
    assert "sets KEPU_REDIS_HOST, which is no setting" in problems
    for file in d.WORKLOADS.values():
        assert f"KEPU_LOG_JSON is missing from deploy/k8s/{file}" in problems


def test_an_optional_required_secret_or_a_literal_value_is_refused() -> None:
    docs = copy.deepcopy(d.documents())
    (api, _service) = docs["api.yaml"]
    (container,) = api["spec"]["template"]["spec"]["containers"]
    for var in container["env"]:
        if var["name"] == "KEPU_DATABASE_URL":
            var["valueFrom"]["secretKeyRef"]["optional"] = True
    container["env"].append({"name": "KEPU_LOG_LEVEL", "value": "DEBUG"})
    assert d.k8s_problems(docs) == [
        "deploy/k8s/api.yaml (kepu-api): KEPU_DATABASE_URL's secretKeyRef must have "
        "optional: False",
        "deploy/k8s/api.yaml (kepu-api) writes KEPU_LOG_LEVEL's value into the manifest: use "
        "the ConfigMap or the Secret",
    ]


@pytest.mark.parametrize("workload", d.workloads(d.documents()), ids=lambda w: w.name)
def test_what_the_manifests_give_is_valid_in_production(
    workload: d.Workload, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings_from(_manifest_env(workload), monkeypatch)
    assert settings.mode == "production" and settings.log_json
    assert settings.uses_object_storage and not settings.embedded_redis
    assert settings.database_url == SECRET_VALUES["KEPU_DATABASE_URL"]
    assert not settings.run_embedded_worker


@pytest.mark.parametrize("missing", REFUSED_WITHOUT)
def test_the_manifests_env_without_a_secret_is_refused_naming_it(
    missing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (api, *_) = d.workloads(d.documents())
    with pytest.raises(ValidationError) as refused:
        _settings_from({k: v for k, v in _manifest_env(api).items() if k != missing}, monkeypatch)
    assert [n for n in REFUSED_WITHOUT if n in str(refused.value)] == [missing]


def test_kepu_serve_exits_naming_the_secret_the_manifests_env_lacks(tmp_path: Path) -> None:
    # The same, as the pod would see it: the process stops before serving, with the name.
    (api, *_) = d.workloads(d.documents())
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEPU_")}
    env |= {k: v for k, v in _manifest_env(api).items() if k != "KEPU_S3_SECRET_KEY"}
    env["KEPU_DATA_DIR"] = str(tmp_path)  # the ConfigMap's /tmp/kepu is the pod's
    done = subprocess.run(
        [str(KEPU), "serve", "--no-workers", "--port", "0"],
        env=env,
        cwd=tmp_path,  # no stray .env
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "configuration error: production mode needs real secrets" in done.stderr
    assert "KEPU_S3_SECRET_KEY (KEPU_S3_ENDPOINT is set)" in done.stderr


def test_the_required_database_and_redis_refs_keep_a_pod_from_starting_without_them() -> None:
    for workload in d.workloads(d.documents()):
        for name in ("KEPU_DATABASE_URL", "KEPU_REDIS_URL"):
            assert not workload.secret_refs[name].get("optional"), (workload.name, name)


# -- compose --------------------------------------------------------------------------------


def test_compose_gives_every_setting_and_nothing_else() -> None:
    given = d.compose_env().keys()
    wanted = d.settings_names()
    assert sorted(wanted - given) == [], "add these to x-kepu-env in deploy/compose.yaml"
    assert sorted(given - wanted) == [], "no such settings (infra/settings.py)"


def test_compose_takes_secrets_only_from_the_env_file() -> None:
    entries = d.compose_env()
    for name in sorted(d.env_name(s) for s in d.SECRETS):
        value = entries[name]
        assert value is None or "${" in value, f"{name} is written into deploy/compose.yaml"


def test_compose_refuses_to_start_without_a_required_secret() -> None:
    values = d.env_file() | {"KEPU_JWT_SECRET": ""}
    with pytest.raises(LookupError, match=re.escape("set KEPU_JWT_SECRET in deploy/.env")):
        d.interpolate(d.compose_env(), values)


def test_the_env_example_placeholders_are_refused_by_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = d.interpolate(d.compose_env(), d.env_file())
    with pytest.raises(ValidationError) as refused:
        _settings_from(env, monkeypatch)
    for name in (*REFUSED_WITHOUT, "KEPU_METRICS_TOKEN"):
        assert name in str(refused.value)


def test_compose_with_real_secrets_is_valid_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    real = {
        "POSTGRES_PASSWORD": "p" * 24,
        "REDIS_PASSWORD": "r" * 24,
        "MINIO_ROOT_USER": "kepu-admin",
        "MINIO_ROOT_PASSWORD": "k" * 40,
        "KEPU_WECHAT_APPID": "wx0000000000000000",
    } | {k: v for k, v in SECRET_VALUES.items() if k.endswith(("SECRET", "TOKEN"))}
    settings = _settings_from(d.interpolate(d.compose_env(), real), monkeypatch)
    assert settings.redis_url == "redis://:" + "r" * 24 + "@redis:6379/0"
    assert settings.s3_endpoint == "minio:9000" and settings.s3_secret_key == "k" * 40
    assert settings.mode == "production" and settings.public_media_base_url is None
