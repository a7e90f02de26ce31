"""Build the app's `Storage` from settings: S3 when an endpoint is configured, else local disk."""

from __future__ import annotations

from infra.settings import Settings
from infra.storage.base import Storage
from infra.storage.local import LocalStorage
from infra.storage.s3 import S3Storage


def build_storage(settings: Settings, *, storage_route: str) -> Storage:
    """Called once at start-up (the lifespan); the result is shared by every request and job.

    ``storage_route`` is the path where the API serves local-disk storage (its caller, the API,
    knows its own routes); it is used only without S3.
    """
    if settings.s3_endpoint:
        if not settings.s3_access_key or not settings.s3_secret_key:
            raise ValueError(
                "KEPU_S3_ENDPOINT is set, so KEPU_S3_ACCESS_KEY and KEPU_S3_SECRET_KEY must be too"
            )
        return S3Storage(
            endpoint=settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            bucket=settings.s3_bucket,
            region=settings.s3_region,
            secure=settings.s3_secure,
            public_base_url=settings.public_media_base_url,
        )
    return LocalStorage(
        settings.data_dir / "media",
        url_base=settings.public_api_base_url.rstrip("/") + storage_route,
        secret=settings.resolved_storage_secret(),
        public_base_url=settings.public_media_base_url,
    )
