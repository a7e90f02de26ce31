"""The object-storage interface the app codes against (`S3Storage` or `LocalStorage`, callers
never learn which), its errors, and the rules for keys."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# S3 refuses to complete a multipart upload whose parts (all but the last) are smaller than
# this; LocalStorage enforces the same rule so code tested on one behaves the same on the other.
MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10_000
MAX_KEY_LENGTH = 1024


class StorageError(Exception):
    """Anything that went wrong in object storage."""


class StorageUnavailable(StorageError):
    """The storage backend cannot be reached or answers with a server error; retry later."""


class ObjectNotFound(StorageError):
    """No object under that key."""


class InvalidKey(StorageError, ValueError):
    """A key that is not a plain relative path (``..``, absolute, empty segment, control char)."""


class UploadNotFound(StorageError):
    """No multipart upload with that id for that key (never created, completed or aborted)."""


class InvalidParts(StorageError):
    """The parts named to complete a multipart upload do not match what was uploaded."""


class TooManyBytes(StorageError):
    """A write carried more bytes than its URL (or the caller) allows; nothing was kept."""


class WrongContentType(StorageError):
    """A signed PUT sent with a content type other than the one its URL was signed for."""


class InvalidForm(StorageError):
    """A form POST that is not a well-formed ``multipart/form-data`` body (or ends early)."""


class FormFileMissing(StorageError):
    """A form POST without its file under the field name the upload gave."""


class FormExtraFile(StorageError):
    """A form POST carrying more than one file; a form upload stores exactly one."""


class InvalidRange(StorageError):
    """A ``Range`` request header that cannot be parsed (or asks for no bytes)."""


class RangeNotSatisfiable(StorageError):
    """A ``Range`` that starts past the end of the object; ``size`` is the object's size."""

    def __init__(self, size: int) -> None:
        super().__init__(f"the range starts past the end of the object ({size} bytes)")
        self.size = size


class SignatureInvalid(StorageError):
    """A signed local-storage URL whose signature does not match (tampered or incomplete)."""


class SignatureExpired(StorageError):
    """A signed local-storage URL used after its expiry time."""


# The form field a form POST carries its file in: S3 takes it under no other name.
FORM_FILE_FIELD = "file"


@dataclass(frozen=True, slots=True)
class FormTarget:
    """Where a client POSTs a ``multipart/form-data`` upload (what ``wx.uploadFile`` sends):
    ``fields`` go in the form as they are, before the file, which goes in ``file_field``."""

    url: str
    fields: dict[str, str]
    file_field: str = FORM_FILE_FIELD


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    size: int
    etag: str
    content_type: str | None


class Storage(Protocol):
    """Async object storage. Keys are relative paths such as ``uploads/01J…/original``.

    Methods that only sign URLs are local computation; every other method does I/O off the event
    loop. Errors are the `StorageError` family above; `StorageUnavailable` means "try later".
    """

    async def presign_put(
        self, key: str, content_type: str, expires_s: int, *, max_bytes: int | None = None
    ) -> str:
        """A URL the client PUTs the whole object to. Where the backend can, the URL refuses a
        body over ``max_bytes`` or of another content type (local disk does; an S3 query-string
        signature cannot, so the caller checks what arrived)."""
        ...

    async def presign_post(
        self, key: str, content_type: str, size: int, expires_s: int
    ) -> FormTarget:
        """A form POST that stores one file of ``size`` bytes (at most, on local disk; exactly,
        on S3) as the object with ``content_type``; the storage itself refuses anything else."""
        ...

    async def create_multipart(self, key: str, content_type: str) -> str:
        """Start a multipart upload; returns its upload id."""
        ...

    async def presign_part(self, key: str, upload_id: str, part_number: int, expires_s: int) -> str:
        """A URL the client PUTs part ``part_number`` (1-based) to; the response has its ETag."""
        ...

    async def complete_multipart(
        self, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> None:
        """Join the parts ``[(part_number, etag), …]`` into the object, in part-number order."""
        ...

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop an unfinished multipart upload and its parts; a no-op if it is already gone."""
        ...

    async def list_parts(self, key: str, upload_id: str) -> list[tuple[int, str, int]]:
        """The parts uploaded so far as ``(part_number, etag, size)``, by part number."""
        ...

    async def stat(self, key: str) -> ObjectInfo | None:
        """Size, ETag and content type of the object, or None if there is none."""
        ...

    async def read_range(self, key: str, start: int, length: int) -> bytes:
        """Up to ``length`` bytes from offset ``start`` (fewer at the end of the object)."""
        ...

    async def download_to(self, key: str, path: Path) -> None:
        """Copy the object into a local file (replaced if it exists)."""
        ...

    async def upload_from(self, path: Path, key: str, content_type: str) -> None:
        """Store a local file as the object (replaced if it exists)."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; a no-op if there is none."""
        ...

    async def copy(self, src_key: str, dst_key: str) -> None:
        """Copy an object within the store (server-side where the backend can)."""
        ...

    async def move(self, src_key: str, dst_key: str) -> None:
        """Move an object to another key (a rename where the backend can, else copy and
        delete); `ObjectNotFound` if there is nothing at ``src_key``."""
        ...

    async def presign_get(self, key: str, expires_s: int, *, window_s: int = 0) -> str:
        """A URL anyone holding it can GET the object from, for at least ``expires_s``. With a
        ``window_s``, the URL is signed as at the start of that window of time and lives
        ``expires_s`` past its end: the same URL for every call within one window
        (`infra.storage.windows`)."""
        ...

    async def ping(self) -> None:
        """Raise `StorageUnavailable` unless the backend answers."""
        ...

    async def ensure_bucket(self) -> None:
        """Create the bucket (or directory) if missing; safe to call at every start."""
        ...

    def public_url(self, key: str) -> str | None:
        """A permanent URL for published media when a public/CDN base URL is configured."""
        ...

    async def aclose(self) -> None:
        """Release connections; call once at shutdown."""
        ...


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative object key, else raise `InvalidKey`.

    Segments starting with a dot are refused as well as ``..``: they are where LocalStorage keeps
    its own state (temp files, multipart parts, metadata), and the app never needs them.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"object key must be 1 to {MAX_KEY_LENGTH} characters")
    if key.startswith("/") or "\\" in key:
        raise InvalidKey("object key must be a relative path with forward slashes")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in key):
        raise InvalidKey("object key must not contain control characters")
    for segment in key.split("/"):
        if not segment or segment.startswith("."):
            raise InvalidKey(f"object key has an empty, '.' or '..'-like segment: {key!r}")
    return key


def check_part_number(part_number: int) -> int:
    if not 1 <= part_number <= MAX_PART_NUMBER:
        raise InvalidParts(f"part number must be between 1 and {MAX_PART_NUMBER}")
    return part_number


def check_expiry(expires_s: int) -> int:
    # S3 SigV4 presigned URLs live between one second and seven days; hold both backends to it.
    if not 1 <= expires_s <= 7 * 24 * 3600:
        raise ValueError("expires_s must be between 1 second and 7 days")
    return expires_s


def normalise_etag(etag: str) -> str:
    """ETags travel quoted in HTTP headers and unquoted in our API; compare them unquoted."""
    return etag.strip().strip('"').lower()
