"""Object storage behind one interface: S3/MinIO (minio SDK) or local disk."""

from infra.storage.base import (
    FORM_FILE_FIELD,
    FormExtraFile,
    FormFileMissing,
    FormTarget,
    InvalidForm,
    InvalidKey,
    InvalidParts,
    ObjectInfo,
    ObjectNotFound,
    SignatureExpired,
    SignatureInvalid,
    Storage,
    StorageError,
    StorageUnavailable,
    TooManyBytes,
    UploadNotFound,
)
from infra.storage.factory import build_storage
from infra.storage.local import LocalStorage
from infra.storage.s3 import S3Storage
from infra.storage.signing import SignedRequest

__all__ = [
    "FORM_FILE_FIELD",
    "FormExtraFile",
    "FormFileMissing",
    "FormTarget",
    "InvalidForm",
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
    "TooManyBytes",
    "UploadNotFound",
    "build_storage",
]
