"""The streaming form parser of the local-disk storage route: the file comes out byte for byte
however the body is cut into chunks, and a bad form is refused by what it shows."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from infra.storage.base import FormExtraFile, FormFileMissing, InvalidForm, WrongContentType
from infra.storage.local_form import boundary_of, file_of

BOUNDARY = b"xYz0123"


def _form(*parts: tuple[str, bytes, bool]) -> bytes:
    """A multipart body of (name, value, is a file) parts, closed."""
    body = b""
    for name, value, is_file in parts:
        filename = b'; filename="a.bin"' if is_file else b""
        body += b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="'
        body += name.encode() + b'"' + filename + b"\r\n\r\n" + value + b"\r\n"
    return body + b"--" + BOUNDARY + b"--\r\n"


async def _chunks(body: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(body), size):
        yield body[i : i + size]


async def _file(body: bytes, size: int = 65536) -> bytes:
    out = b""
    async for block in file_of(_chunks(body, size), BOUNDARY, "file", "video/mp4"):
        out += block
    return out


@pytest.mark.parametrize("chunk", [1, 7, 4096, 1 << 20])
async def test_the_file_comes_out_whole_however_the_body_is_cut(chunk: int) -> None:
    data = os.urandom(50_000) + b"\r\n--xYz012" + os.urandom(1000)  # a near-boundary inside
    body = _form(("Content-Type", b"video/mp4", False), ("file", data, True))
    assert await _file(body, chunk) == data


async def test_fields_after_the_file_are_ignored_as_s3_does() -> None:
    body = _form(("Content-Type", b"video/mp4", False), ("file", b"abc", True), ("x", b"1", False))
    assert await _file(body) == b"abc"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (_form(("file", b"abc", True)), WrongContentType),  # no type before the file
        (_form(("Content-Type", b"image/png", False), ("file", b"abc", True)), WrongContentType),
        (_form(("Content-Type", b"video/mp4", False)), FormFileMissing),
        (_form(("Content-Type", b"video/mp4", False), ("image", b"abc", True)), FormFileMissing),
        (
            _form(("Content-Type", b"video/mp4", False), ("file", b"a", True), ("f2", b"b", True)),
            FormExtraFile,
        ),
        (_form(("Content-Type", b"video/mp4", False), ("file", b"abc", True))[:-12], InvalidForm),
        (_form(("Content-Type", b"video/mp4" * 2000, False), ("file", b"a", True)), InvalidForm),
    ],
)
async def test_a_bad_form_is_refused(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        await _file(body)


def test_the_boundary_comes_from_a_multipart_form_data_header() -> None:
    assert boundary_of("multipart/form-data; boundary=abc") == b"abc"
    for bad in (None, "image/png", "multipart/form-data", "multipart/mixed; boundary=abc"):
        with pytest.raises(InvalidForm):
            boundary_of(bad)
