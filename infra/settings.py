"""All configuration, from the environment with the ``KEPU_`` prefix (see the README's table)."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDERS = {"", "changeme", "change-me", "secret", "please-change", "placeholder"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEPU_", env_file=".env", extra="ignore")

    mode: Literal["dev", "production"] = "dev"
    data_dir: Path = Path("./var")

    database_url: str | None = None
    redis_url: str | None = None
    # Key prefix for everything Kepu keeps in Redis (feeds, counters, queue) so several
    # deployments or test runs can share one server.
    redis_prefix: str = "kepu"
    queue_name: str = "kepu"

    s3_endpoint: str | None = None  # host:port, e.g. minio:9000
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_bucket: str = "kepu"
    s3_region: str = "us-east-1"
    s3_secure: bool = False
    # Where published renditions are served from (CDN); None → presigned URLs.
    public_media_base_url: str | None = None
    # Base URL of this API, used for local-disk signed upload/download URLs.
    public_api_base_url: str = "http://127.0.0.1:8000"

    jwt_secret: str | None = None
    jwt_ttl_seconds: int = 7 * 24 * 3600
    storage_secret: str | None = None  # signs local-disk URLs; defaults to the JWT secret

    wechat_appid: str | None = None
    wechat_secret: str | None = None
    wechat_base_url: str = "https://api.weixin.qq.com"
    wechat_timeout_s: float = 5.0

    claim_lease_seconds: int = 30 * 60
    login_per_minute: int = 10  # password attempts per address and username
    wechat_login_per_minute: int = 60  # per address (many phones share carrier NAT)
    max_request_bytes: int = 2 * 1024 * 1024  # JSON bodies; media goes to storage
    worker_concurrency: int = 4
    worker_idle_timeout_s: float = 60.0
    run_embedded_worker: bool = True

    upload_url_ttl_seconds: int = 3600
    download_url_ttl_seconds: int = 900
    max_image_bytes: int = 20 * 1024 * 1024
    max_video_bytes: int = 500 * 1024 * 1024
    max_video_seconds: int = 15 * 60
    multipart_part_size: int = 8 * 1024 * 1024
    multipart_threshold: int = 16 * 1024 * 1024
    upload_quota_bytes_per_day: int = 10 * 1024 * 1024 * 1024
    # Uploads never completed are removed (with their parts) this long after their URLs expire.
    abandoned_upload_grace_seconds: int = 3600
    ffmpeg_concurrency: int = 1
    transcode_timeout_seconds: int = 3 * 3600
    work_dir: Path | None = None  # scratch space for transcoding; default: the system temp dir

    log_level: str = "INFO"
    log_json: bool = False

    max_title_chars: int = Field(default=80)
    max_summary_chars: int = Field(default=300)
    max_body_chars: int = Field(default=100_000)

    # /metrics: with a token, only `Authorization: Bearer <token>` reads it; without one it is
    # served in dev mode (the embedded default on loopback) and not at all in production.
    metrics_token: str | None = None
    # Origins allowed to call the API from a browser (comma-separated, e.g. the console's);
    # empty: no CORS headers at all, so browsers on other origins cannot read answers.
    cors_origins: str = ""

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    @model_validator(mode="after")
    def _embedded_redis_needs_a_plain_path(self) -> Settings:
        # The bundled Valkey's config file cannot carry a directory with white space in it.
        if self.redis_url is None and any(c.isspace() for c in str(self.data_dir.resolve())):
            raise ValueError(
                f"KEPU_DATA_DIR {str(self.data_dir.resolve())!r} contains white space, which the "
                "bundled Redis cannot use; choose another directory or set KEPU_REDIS_URL"
            )
        return self

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> Settings:
        if self.mode == "production":
            missing = [
                name
                for name in ("jwt_secret",)
                if (getattr(self, name) or "").strip().lower() in _PLACEHOLDERS
            ]
            if missing:
                raise ValueError(
                    "production mode needs real secrets; set "
                    + ", ".join("KEPU_" + m.upper() for m in missing)
                    + " (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
                )
            if self.jwt_secret and len(self.jwt_secret) < 32:
                raise ValueError("KEPU_JWT_SECRET must be at least 32 characters in production")
        return self

    @property
    def embedded_redis(self) -> bool:
        return self.redis_url is None

    @property
    def uses_object_storage(self) -> bool:
        return self.s3_endpoint is not None

    def resolved_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Accept the usual postgres:// spellings and use the async driver.
            for prefix in ("postgres://", "postgresql://"):
                if url.startswith(prefix):
                    return "postgresql+asyncpg://" + url[len(prefix) :]
            return url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'kepu.sqlite3').resolve()}"

    def resolved_jwt_secret(self) -> str:
        """The configured secret, or in dev mode one generated once and kept in the data dir."""
        if self.jwt_secret:
            return self.jwt_secret
        path = self.data_dir / "jwt-secret"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        path.write_text(value)
        path.chmod(0o600)
        return value

    def resolved_storage_secret(self) -> str:
        return self.storage_secret or self.resolved_jwt_secret()


@lru_cache
def get_settings() -> Settings:
    return Settings()
