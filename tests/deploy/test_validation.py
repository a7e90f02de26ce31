"""deploy/ is valid as written: yamllint, every Kubernetes object against the schemas of a pinned
Kubernetes version (offline), the kustomization lists every manifest, and checkov finds nothing
in the security posture that is not fixed or skipped with its reason. .ci/run runs this module
before the tests, with checkov required."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from yamllint import config as yamllint_config
from yamllint import linter

from tests.deploy import described as d

# The oldest Kubernetes the manifests promise to work on (docs/operations.md, "Deploy").
KUBERNETES_VERSION = "1.33.0"
ROOT = d.DEPLOY.parent
YAML_FILES = sorted(d.DEPLOY.rglob("*.yaml"))


def _checkov() -> str | None:
    """checkov pins many packages, so it lives in its own virtualenv (.ci/run makes it)."""
    for candidate in (
        os.environ.get("KEPU_CHECKOV"),
        str(ROOT / ".venv-checkov" / "bin" / "checkov"),
        shutil.which("checkov"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_yaml_is_clean(path: Path) -> None:
    conf = yamllint_config.YamlLintConfig(file=str(d.DEPLOY / ".yamllint.yaml"))
    problems = [f"{p.line}:{p.column} {p.message}" for p in linter.run(path.read_text(), conf)]
    assert problems == [], f"yamllint -c deploy/.yamllint.yaml {path.relative_to(ROOT)}"


@pytest.mark.parametrize(
    "document",
    [(f, doc) for f, docs in d.documents().items() for doc in docs],
    ids=lambda fd: f"{fd[0]}:{fd[1]['kind']}/{fd[1]['metadata']['name']}",
)
def test_objects_match_the_kubernetes_schemas(document: tuple[str, dict[str, object]]) -> None:
    # strict: a misspelt field is an error, not something the API server drops silently.
    kubernetes_validate.validate(document[1], KUBERNETES_VERSION, strict=True)


def test_a_misspelt_field_fails_the_schema_check() -> None:
    (job,) = d.documents()["migrate-job.yaml"]
    job["spec"]["template"]["spec"]["restartPolicyy"] = "Never"
    with pytest.raises(kubernetes_validate.ValidationError, match="restartPolicyy"):
        kubernetes_validate.validate(job, KUBERNETES_VERSION, strict=True)


def test_the_kustomization_applies_every_manifest() -> None:
    kustomization = yaml.safe_load((d.K8S / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(d.documents())


def test_checkov_finds_nothing_unjustified() -> None:
    checkov = _checkov()
    if checkov is None:
        if os.environ.get("KEPU_REQUIRE_CHECKOV"):
            pytest.fail("KEPU_REQUIRE_CHECKOV is set but checkov is not installed")
        pytest.skip("checkov is not installed (.ci/run makes .venv-checkov; or set KEPU_CHECKOV)")
    done = subprocess.run(
        [
            *([checkov] if checkov.endswith("checkov") else [sys.executable, checkov]),
            *("--directory", str(d.DEPLOY), "--framework", "kubernetes", "dockerfile"),
            *("--output", "json", "--quiet", "--skip-download"),  # offline: no platform calls
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}"
        for r in reports
        for c in r.get("results", {}).get("failed_checks", [])
    ]
    assert failed == [], "fix each, or skip it with its reason (a checkov.io/skip annotation)"
    frameworks = {r.get("check_type") for r in reports}
    assert {"kubernetes", "dockerfile"} <= frameworks, done.stderr[-2000:]
    skipped = [c for r in reports for c in r.get("results", {}).get("skipped_checks", [])]
    assert all(c.get("suppress_comment") not in (None, "", "No comment provided") for c in skipped)
