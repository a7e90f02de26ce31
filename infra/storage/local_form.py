"""The file of a ``multipart/form-data`` POST (what ``wx.uploadFile`` sends), streamed out of the
body as it arrives: never held in memory, never spooled whole before the size is checked. The
rules are S3's for a POST policy: form fields come before the file (fields after it are ignored),
the form's ``Content-Type`` field is the stored type (the file part's own header is not: phones
set it unpredictably), and the file goes in one named field."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from infra.storage.base import FormExtraFile, FormFileMissing, InvalidForm, WrongContentType
from infra.storage.signing import same_media_type

# Form fields are a few short strings (the type, perhaps a key or a name); the file is the bulk.
MAX_FIELD_BYTES = 8 * 1024
MAX_FIELDS_BYTES = 64 * 1024
MAX_HEADER_BYTES = 8 * 1024


def boundary_of(content_type: str | None) -> bytes:
    """The boundary of a ``multipart/form-data`` request, from its Content-Type header."""
    kind, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary", b"")
    if kind.lower() != b"multipart/form-data" or not 1 <= len(boundary) <= 70:
        raise InvalidForm("a form upload is a multipart/form-data POST with a boundary")
    return boundary


class _Form:
    """python-multipart's callbacks: what the body has said so far."""

    def __init__(self, file_field: str, content_type: str | None) -> None:
        self.file_field = file_field
        self.content_type = content_type
        self.fields: dict[str, str] = {}
        self.fields_bytes = 0
        self.file = bytearray()  # file bytes parsed and not yet handed on
        self.has_file = False
        self.in_file = False
        self.ended = False
        self._header = bytearray()
        self._value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._header_bytes = 0
        self._name = ""
        self._field = bytearray()

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _part_begin(self) -> None:
        self._headers, self._header_bytes, self._field = {}, 0, bytearray()
        self._header.clear()
        self._value.clear()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._grow_header(end - start)
        self._header += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._grow_header(end - start)
        self._value += data[start:end]

    def _grow_header(self, n: int) -> None:
        self._header_bytes += n
        if self._header_bytes > MAX_HEADER_BYTES:
            raise InvalidForm(f"a form part's headers are limited to {MAX_HEADER_BYTES} bytes")

    def _header_end(self) -> None:
        self._headers[bytes(self._header).strip().lower()] = bytes(self._value).strip()
        self._header.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        is_file = b"filename" in options or self._name == self.file_field
        if not is_file:
            return
        if self.has_file:
            raise FormExtraFile("a form upload carries exactly one file")
        if self._name != self.file_field:
            raise FormFileMissing(f"the file goes in the form field {self.file_field!r}")
        sent = next((v for k, v in self.fields.items() if k.lower() == "content-type"), None)
        if self.content_type is not None and (
            sent is None or not same_media_type(sent, self.content_type)
        ):
            raise WrongContentType(
                f"the form's Content-Type field must be {self.content_type!r}, as the upload "
                "declared, and come before the file"
            )
        self.has_file = self.in_file = True

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self.in_file:
            self.file += data[start:end]
            return
        self._field += data[start:end]
        self.fields_bytes += end - start
        if len(self._field) > MAX_FIELD_BYTES or self.fields_bytes > MAX_FIELDS_BYTES:
            raise InvalidForm(f"form fields are limited to {MAX_FIELD_BYTES} bytes each")

    def _part_end(self) -> None:
        if not self.in_file and not self.has_file:  # fields after the file are ignored, as S3
            self.fields[self._name] = self._field.decode("utf-8", "replace")
        self.in_file = False

    def _end(self) -> None:
        self.ended = True


async def file_of(
    body: AsyncIterable[bytes], boundary: bytes, file_field: str, content_type: str | None
) -> AsyncIterator[bytes]:
    """The bytes of the form's file as the body arrives (``content_type`` None: the form need
    not name one, the file's content decides what it is). Raises `InvalidForm`,
    `FormFileMissing`, `FormExtraFile` or `WrongContentType` as soon as the body shows it,
    including after the file's last byte (a second file, a body cut short): the consumer must
    keep nothing until this generator has finished."""
    form = _Form(file_field, content_type)
    parser = MultipartParser(boundary, form.callbacks())  # type: ignore[arg-type]
    async for chunk in body:
        try:
            parser.write(chunk)
        except MultipartParseError as exc:
            raise InvalidForm("the form is not well-formed multipart/form-data") from exc
        if form.file:
            yield bytes(form.file)
            form.file.clear()
    if not form.ended:
        raise InvalidForm("the form ended before its closing boundary")
    if not form.has_file:
        raise FormFileMissing(f"the form has no file in the field {file_field!r}")
