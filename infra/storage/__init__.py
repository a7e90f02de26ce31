"""Object storage behind one interface: S3/MinIO (minio SDK) or local disk."""

from infra.storage.base import (
    InvalidKey,
    InvalidParts,
    ObjectInfo,
    ObjectNotFound,
    SignatureExpired,
    SignatureInvalid,
    Storage,
    StorageError,
    StorageUnavailable,
    TooLarge,
    UploadNotFound,
)
from infra.storage.factory import build_storage
from infra.storage.local import LocalStorage, SignedRequest
from infra.storage.s3 import S3Storage

__all__ = [
    "InvalidKey",
    "InvalidParts",
    "LocalStorage",
    "ObjectInfo",
    "ObjectNotFound",
    "S3Storage",
    "SignatureExpired",
    "SignatureInvalid",
    "SignedRequest",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "TooLarge",
    "UploadNotFound",
    "build_storage",
]
