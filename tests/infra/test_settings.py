"""Settings a deployment can get wrong: production refuses to start on a missing or placeholder
secret and names it; the JWT secret is resolved once, not on every request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from infra.settings import Settings

REAL = "r" * 48


def _production(**values: Any) -> Settings:
    return Settings(_env_file=None, mode="production", **values)  # type: ignore[call-arg]


def _refusal(**values: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        _production(**values)
    return str(caught.value)


def test_production_starts_with_every_secret_it_uses_set() -> None:
    settings = _production(
        jwt_secret=REAL,
        storage_secret="s" * 40,
        s3_endpoint="minio:9000",
        s3_access_key="kepu-app",
        s3_secret_key="a real s3 secret",
        wechat_appid="wx123",
        wechat_secret="a real wechat secret",
        metrics_token="m" * 32,
    )
    assert settings.resolved_jwt_secret() == REAL


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"jwt_secret": None}, "KEPU_JWT_SECRET"),
        ({"jwt_secret": "changeme"}, "KEPU_JWT_SECRET"),
        ({"jwt_secret": "too short"}, "KEPU_JWT_SECRET (at least 32 characters)"),
        ({"storage_secret": "placeholder"}, "KEPU_STORAGE_SECRET"),
        ({"metrics_token": "changeme"}, "KEPU_METRICS_TOKEN (at least 32 characters)"),
        ({"jwt_previous_secret": "secret"}, "KEPU_JWT_PREVIOUS_SECRET"),
        ({"s3_endpoint": "minio:9000", "s3_access_key": "k"}, "KEPU_S3_SECRET_KEY"),
        (
            {"s3_endpoint": "minio:9000", "s3_access_key": "k", "s3_secret_key": "minioadmin"},
            "KEPU_S3_SECRET_KEY (KEPU_S3_ENDPOINT is set)",
        ),
        ({"s3_endpoint": "minio:9000", "s3_secret_key": "a real one"}, "KEPU_S3_ACCESS_KEY"),
        ({"wechat_appid": "wx123"}, "KEPU_WECHAT_SECRET (KEPU_WECHAT_APPID is set)"),
        ({"wechat_appid": "wx123", "wechat_secret": " "}, "KEPU_WECHAT_SECRET"),
    ],
)
def test_production_refuses_a_missing_or_placeholder_secret_and_names_it(
    values: dict[str, Any], named: str
) -> None:
    refusal = _refusal(**({"jwt_secret": REAL} | values))
    assert "production mode needs real secrets" in refusal
    assert named in refusal


def test_production_names_every_wrong_secret_at_once() -> None:
    refusal = _refusal(jwt_secret="secret", s3_endpoint="minio:9000", wechat_appid="wx1")
    for name in (
        "KEPU_JWT_SECRET",
        "KEPU_S3_ACCESS_KEY",
        "KEPU_S3_SECRET_KEY",
        "KEPU_WECHAT_SECRET",
    ):
        assert name in refusal


def test_secrets_of_unused_parts_are_not_required_in_production() -> None:
    # No S3 endpoint (local disk), no WeChat app, the storage secret falls back to the JWT one.
    settings = _production(jwt_secret=REAL)
    assert settings.resolved_storage_secret() == REAL


def test_dev_mode_generates_the_jwt_secret_once_and_reads_it_only_once(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    secret = settings.resolved_jwt_secret()
    assert (tmp_path / "jwt-secret").read_text() == secret
    assert len(secret) >= 32

    (tmp_path / "jwt-secret").write_text("changed behind the running process's back")
    assert settings.resolved_jwt_secret() == secret  # remembered, not read per request
    # The next process (a restart) reads what the data dir holds.
    again = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert again.resolved_jwt_secret() == "changed behind the running process's back"


@pytest.mark.parametrize(
    ("ttl", "window"), [(0, 1800), (7 * 24 * 3600, 1), (6 * 24 * 3600 + 1, 24 * 3600)]
)
def test_signed_urls_that_would_outlive_what_s3_signs_are_refused_at_start(
    tmp_path: Path, ttl: int, window: int
) -> None:
    with pytest.raises(ValidationError, match="DOWNLOAD_URL"):
        Settings(
            data_dir=tmp_path, download_url_ttl_seconds=ttl, download_url_window_seconds=window
        )


@pytest.mark.parametrize(
    ("values", "named", "advice"),
    [
        ({"public_media_base_url": "https://cdn.example"}, "KEPU_CDN_PURGE_TOKEN", "token"),
        ({"cdn_purge_token": "t" * 32}, "KEPU_PUBLIC_MEDIA_BASE_URL", "set both"),
        (
            {"public_media_base_url": "https://cdn.example", "cdn_purge_token": "t" * 32},
            "KEPU_CDN_PURGE_URL",
            "http:// or https://",
        ),
    ],
    ids=["no-token", "no-cdn", "not-a-url"],
)
def test_an_incomplete_cdn_purge_hook_is_refused_at_start_in_any_mode(
    values: dict[str, str], named: str, advice: str
) -> None:
    url = "ftp://hook" if named == "KEPU_CDN_PURGE_URL" else "https://hook.example/purge"
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, mode="dev", cdn_purge_url=url, **values)  # type: ignore[call-arg]
    assert named in str(caught.value) and advice in str(caught.value)


def test_production_refuses_a_placeholder_cdn_purge_token() -> None:
    refusal = _refusal(
        jwt_secret=REAL,
        public_media_base_url="https://cdn.example",
        cdn_purge_url="https://hook.example/purge",
        cdn_purge_token="changeme",
    )
    assert "KEPU_CDN_PURGE_TOKEN (KEPU_CDN_PURGE_URL is set)" in refusal


def test_with_all_state_outside_no_jwt_secret_is_generated_even_in_dev(tmp_path: Path) -> None:
    outside = {
        "database_url": "postgresql://db/kepu",
        "redis_url": "redis://redis:6379/0",
        "s3_endpoint": "minio:9000",
        "s3_access_key": "kepu-app",
        "s3_secret_key": "a real s3 secret",
    }
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, data_dir=tmp_path, **outside)  # type: ignore[call-arg]
    assert "KEPU_JWT_SECRET" in str(caught.value)
    assert list(tmp_path.iterdir()) == []
    # One piece of state kept here (the bundled Redis): one process, the generated one is fine.
    local = Settings(_env_file=None, data_dir=tmp_path, **(outside | {"redis_url": None}))  # type: ignore[call-arg]
    assert local.resolved_jwt_secret() == (tmp_path / "jwt-secret").read_text()
