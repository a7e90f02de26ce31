"""All configuration, from the environment with the ``KEPU_`` prefix (see the README's table)."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra import sentinel
from infra.ratelimit import trusted_proxies

_PLACEHOLDERS = {
    *("", "changeme", "change-me", "secret", "please-change", "placeholder"),
    "minioadmin",  # MinIO's out-of-the-box credentials
}
MIN_SECRET_CHARS = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEPU_", env_file=".env", extra="ignore")

    mode: Literal["dev", "production"] = "dev"
    data_dir: Path = Path("./var")

    database_url: str | None = None
    # A streaming replica of database_url's PostgreSQL for public reads (docs/operations.md,
    # "Database replica"), used while its replay is at most replica_max_lag_s behind.
    database_replica_url: str | None = None
    replica_max_lag_s: float = Field(2.0, gt=0, le=60)
    redis_url: str | None = None
    # Key prefix for everything Kepu keeps in Redis (feeds, counters, queue) so several
    # deployments or test runs can share one server.
    redis_prefix: str = "kepu"
    queue_name: str = "kepu"
    # Views are counted in Redis until a flush writes them to the database; with asynchronous
    # replication a failover can lose what only the old master had. A view is acknowledged once
    # this many replicas have it; if they do not within KEPU_REDIS_ACK_TIMEOUT_MS, it is written
    # to the database as well. None: 1 with a redis+sentinel:// URL, 0 (no wait) otherwise.
    redis_ack_replicas: int | None = Field(default=None, ge=0)
    redis_ack_timeout_ms: int = Field(default=200, ge=1)

    s3_endpoint: str | None = None  # host:port, e.g. minio:9000
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_bucket: str = "kepu"
    s3_region: str = "us-east-1"
    s3_secure: bool = False
    # Where published renditions are served from (CDN); None → presigned URLs.
    public_media_base_url: str | None = None
    # The CDN's purge hook (docs/cdn.md): public copies removed (a takedown…) are POSTed there
    # in batches with the token as a bearer, retried until taken. Unset: nothing is sent.
    cdn_purge_url: str | None = None
    cdn_purge_token: str | None = None
    # Base URL of this API, used for local-disk signed upload/download URLs.
    public_api_base_url: str = "http://127.0.0.1:8000"

    jwt_secret: str | None = None
    # The secret before a rotation: tokens it signed are still accepted while this is set
    # (set it for KEPU_JWT_TTL_SECONDS at most; docs/operations.md, "Rotate secrets").
    jwt_previous_secret: str | None = None
    jwt_ttl_seconds: int = 7 * 24 * 3600
    storage_secret: str | None = None  # signs local-disk URLs; defaults to the JWT secret
    _jwt_secret: str | None = PrivateAttr(default=None)  # resolved_jwt_secret(), once

    wechat_appid: str | None = None
    wechat_secret: str | None = None
    wechat_base_url: str = "https://api.weixin.qq.com"
    wechat_timeout_s: float = 5.0
    # Ask WeChat's content-security check (msgSecCheck v2) for a second opinion in screening.
    wechat_seccheck: bool = False

    # Subscribe messages (docs/notifications.md): a template id per notification kind, as JSON
    # ({"review_outcome": "…", "report_outcome": "…"}); a kind without one is not pushed. Each
    # template has the fields thing1 (what happened) and time2 (when).
    wechat_templates: dict[str, str] = Field(default_factory=dict)
    # The mini-program page a subscribe message opens.
    wechat_message_page: str = "pages/notifications/index"
    # A push WeChat could not take is tried again after this, doubling each time (up to an hour).
    wechat_retry_base_s: float = Field(5.0, gt=0)

    claim_lease_seconds: int = 30 * 60
    # A console session left idle this long ends (and any session after 12 hours).
    console_idle_seconds: int = Field(2 * 3600, ge=60)
    login_per_minute: int = 10  # password attempts per address and username
    wechat_login_per_minute: int = 60  # per address (many phones share carrier NAT)
    # Failed password logins from one address, whatever the usernames (password spraying), per
    # 15 minutes; past it the address is locked out, twice as long at each lockout that day.
    login_failures_per_address: int = 20
    # Proxies whose X-Forwarded-For is believed (addresses or networks, comma separated, or
    # "*"); empty: none, the peer is the client. Rate limits key on the address this gives.
    forwarded_allow_ips: str = ""

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        trusted_proxies(value)  # a typo must stop start-up, not silently trust nobody
        return value

    max_request_bytes: int = 2 * 1024 * 1024  # JSON bodies; media goes to storage
    # A creator's subtitle file (sent through the API, so also under max_request_bytes).
    max_subtitle_bytes: int = Field(default=1024 * 1024, ge=1024)
    worker_concurrency: int = 4
    # A message a worker took from the queue and stopped renewing (streaq renews the running
    # ones every 0.9 × this) goes to another worker; a killed worker's running jobs come back
    # sooner through the outbox's lease (content/jobs.py). Also the queue's blocking-read time.
    worker_idle_timeout_s: float = Field(5.0, ge=1.0)
    run_embedded_worker: bool = True
    # A job in the outbox no worker took this long after it was due is enqueued again, and one
    # waiting longer than job_alert_after_s shows in /readyz and /metrics (docs/jobs.md).
    job_relay_after_s: float = 10.0
    job_alert_after_s: float = 120.0

    upload_url_ttl_seconds: int = 3600
    download_url_ttl_seconds: int = 900
    # Signed media URLs are cut from windows this long: one URL per object per window, valid
    # download_url_ttl_seconds past the window's end (infra/storage/windows.py). 0: none.
    download_url_window_seconds: int = Field(1800, ge=0, le=24 * 3600)
    max_image_bytes: int = 20 * 1024 * 1024
    max_video_bytes: int = 500 * 1024 * 1024
    max_video_seconds: int = 15 * 60
    multipart_part_size: int = 8 * 1024 * 1024
    multipart_threshold: int = 16 * 1024 * 1024
    upload_quota_bytes_per_day: int = 10 * 1024 * 1024 * 1024
    # This long after an upload's URL expires, what it left in storage is removed: an upload
    # never completed (with its parts), bytes PUT to a completed one's key.
    abandoned_upload_grace_seconds: int = 3600
    ffmpeg_concurrency: int = 1
    transcode_timeout_seconds: int = 3 * 3600
    work_dir: Path | None = None  # scratch space for transcoding; default: the system temp dir
    # Reading the text on videos' frames and on images (docs/video-text.md): the reader's
    # threads (one leaves a core to the API on one machine), its memory ceiling and how often
    # it reads a frame (besides scene changes).
    ocr_enabled: bool = True
    ocr_threads: int = Field(1, ge=1, le=16)
    ocr_memory_mb: int = Field(1536, ge=0)
    ocr_frame_interval_s: float = Field(1.0, ge=0.25, le=10.0)

    log_level: str = "INFO"
    log_json: bool = False

    max_title_chars: int = Field(default=80)
    max_summary_chars: int = Field(default=300)
    max_body_chars: int = Field(default=100_000)

    # Feeds (docs/feeds.md). A page lives this long in a process's near-cache: how stale its
    # counters may be (publish, takedown and pins invalidate it at once).
    feed_cache_ttl_s: float = 5.0
    feed_cache_entries: int = 4096
    # How long a takedown or publish waits for every API process to drop its cached pages.
    feed_invalidate_wait_s: float = 1.0
    # Views and shares wait in Redis at most about this long before a job writes them.
    counter_flush_s: int = 5
    # Statistics (docs/stats.md): today's and yesterday's rollups and the rankings are computed
    # again this often, in seconds (1–59), so a ranking is at most about this much behind.
    stats_rollup_s: int = Field(30, ge=1, le=59)
    interactions_per_minute: int = 120  # likes, follows, views… per user
    interactions_per_minute_per_address: int = 600  # … and per client address
    # At least this many open reports on one content within this many minutes put it at the
    # top of the operators' report list (docs/reports.md).
    report_surge_count: int = Field(5, ge=1)
    report_surge_minutes: int = Field(30, ge=1)
    comments_per_minute: int = 10  # comments a user may post in a burst…
    comments_per_day: int = 300  # … and in a day
    # Adds GET /api/v1/_bench/bare (a constant body) for benchmarks/feed_throughput.py only.
    benchmark_routes: bool = False

    # /metrics: with a token, only `Authorization: Bearer <token>` reads it; without one it is
    # served in dev mode (the embedded default on loopback) and not at all in production.
    metrics_token: str | None = None
    # Origins allowed to call the API from a browser (comma-separated, e.g. the console's);
    # empty: no CORS headers at all, so browsers on other origins cannot read answers.
    cors_origins: str = ""

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    @field_validator("redis_url")
    @classmethod
    def _redis_url_well_made(cls, value: str | None) -> str | None:
        if value is not None:
            sentinel.parse(value)  # raises, naming the form, for a malformed Sentinel URL
        return value

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
    def _signed_urls_fit_what_s3_signs(self) -> Settings:
        # A signed GET lives up to its TTL past its window's end; SigV4 allows at most 7 days.
        longest = self.download_url_ttl_seconds + self.download_url_window_seconds
        if not self.download_url_ttl_seconds >= 1 or longest > 7 * 24 * 3600:
            raise ValueError(
                "KEPU_DOWNLOAD_URL_TTL_SECONDS must be at least 1, and with "
                "KEPU_DOWNLOAD_URL_WINDOW_SECONDS at most 7 days (604800 s): signed URLs live "
                "that long at most"
            )
        return self

    @model_validator(mode="after")
    def _replicas_share_one_jwt_secret(self) -> Settings:
        # With every piece of state outside this machine, this is one of several API processes
        # (or could be): a secret generated into each one's data dir would refuse the others'
        # tokens, and the data dir may not even be writable. Nothing is generated then.
        if self.keeps_no_local_state and not self.jwt_secret:
            raise ValueError(
                "KEPU_JWT_SECRET is unset while the database, Redis and object storage are all "
                "configured: every API process must sign with the same secret, so none is "
                "generated; set KEPU_JWT_SECRET, the same on every process. A random one: "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return self

    @model_validator(mode="after")
    def _purge_hook_is_complete(self) -> Settings:
        if not self.cdn_purge_url:
            return self
        if not self.cdn_purge_url.startswith(("http://", "https://")):
            raise ValueError("KEPU_CDN_PURGE_URL must be an http:// or https:// URL")
        if not self.public_media_base_url:
            raise ValueError(
                "KEPU_CDN_PURGE_URL is set without KEPU_PUBLIC_MEDIA_BASE_URL: with no CDN base "
                "URL no public copies exist to purge; set both, or neither"
            )
        if not (self.cdn_purge_token or "").strip():
            raise ValueError(
                "KEPU_CDN_PURGE_URL is set without KEPU_CDN_PURGE_TOKEN: set the token your "
                "purge hook checks (sent as `Authorization: Bearer <token>`)"
            )
        return self

    @model_validator(mode="after")
    def _replica_needs_a_postgresql_primary(self) -> Settings:
        if self.database_replica_url is None:
            return self
        postgres = ("postgres://", "postgresql://", "postgresql+asyncpg://")
        if not (self.database_url or "").startswith(postgres):
            raise ValueError(
                "KEPU_DATABASE_REPLICA_URL needs KEPU_DATABASE_URL to be a PostgreSQL primary "
                "(the embedded SQLite has no replicas): set KEPU_DATABASE_URL, or unset "
                "KEPU_DATABASE_REPLICA_URL"
            )
        if not self.database_replica_url.startswith(postgres):
            raise ValueError(
                "KEPU_DATABASE_REPLICA_URL must be a postgresql:// URL of a streaming replica "
                "of KEPU_DATABASE_URL"
            )
        return self

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> Settings:
        if self.mode == "production" and (wrong := self._unusable_secrets()):
            raise ValueError(
                "production mode needs real secrets; missing, placeholder or too short: "
                + "; ".join(wrong)
                + ". A random one: `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return self

    def _unusable_secrets(self) -> list[str]:
        """Each secret production would run with that is missing, a placeholder or too short."""
        needed = [("jwt_secret", MIN_SECRET_CHARS, "")]
        if self.storage_secret is not None:  # unset: local-disk URLs are signed with the JWT one
            needed.append(("storage_secret", MIN_SECRET_CHARS, ""))
        if self.jwt_previous_secret is not None:
            needed.append(("jwt_previous_secret", MIN_SECRET_CHARS, ""))
        if self.metrics_token is not None:  # unset: /metrics is not served at all
            needed.append(("metrics_token", MIN_SECRET_CHARS, ""))
        if self.s3_endpoint:
            needed += [
                (k, 1, "KEPU_S3_ENDPOINT is set") for k in ("s3_access_key", "s3_secret_key")
            ]
        if self.wechat_appid:
            needed.append(("wechat_secret", 1, "KEPU_WECHAT_APPID is set"))
        if self.cdn_purge_url:
            needed.append(("cdn_purge_token", 1, "KEPU_CDN_PURGE_URL is set"))
        wrong = []
        for name, min_chars, because in needed:
            value = (getattr(self, name) or "").strip()
            if value.lower() in _PLACEHOLDERS or len(value) < min_chars:
                why = [because] if because else []
                if min_chars > 1:
                    why.append(f"at least {min_chars} characters")
                wrong.append(f"KEPU_{name.upper()}" + (f" ({', '.join(why)})" if why else ""))
        return wrong

    @property
    def embedded_redis(self) -> bool:
        return self.redis_url is None

    @property
    def replicas_to_ack(self) -> int:
        """How many replicas must hold a counted view before it is acknowledged."""
        if self.redis_ack_replicas is not None:
            return self.redis_ack_replicas
        return 1 if self.redis_url and sentinel.parse(self.redis_url) else 0

    @property
    def uses_object_storage(self) -> bool:
        return self.s3_endpoint is not None

    @property
    def keeps_no_local_state(self) -> bool:
        """Whether every piece of state is outside this machine (database, Redis, objects): then
        an API process writes nothing under KEPU_DATA_DIR (docs/operations.md)."""
        return bool(self.database_url and self.redis_url and self.s3_endpoint)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return _async_driver(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'kepu.sqlite3').resolve()}"

    def resolved_replica_url(self) -> str | None:
        return _async_driver(self.database_replica_url) if self.database_replica_url else None

    def resolved_jwt_secret(self) -> str:
        """The configured secret, or in dev mode one generated once and kept in the data dir.

        Read once (start-up calls it) and remembered: every authenticated request asks for it.
        """
        if self._jwt_secret is None:
            self._jwt_secret = self.jwt_secret or self._generated_jwt_secret()
        return self._jwt_secret

    def _generated_jwt_secret(self) -> str:
        path = self.data_dir / "jwt-secret"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        path.write_text(value)
        path.chmod(0o600)
        return value

    @property
    def previous_jwt_secrets(self) -> list[str]:
        return [self.jwt_previous_secret] if self.jwt_previous_secret else []

    def resolved_storage_secret(self) -> str:
        return self.storage_secret or self.resolved_jwt_secret()


def _async_driver(url: str) -> str:
    """Accept the usual postgres:// spellings and use the async driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
