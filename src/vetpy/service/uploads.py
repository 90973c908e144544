"""Multipart uploads streamed to disk with the size limit enforced while reading.

The ``file`` field is written chunk by chunk to a temporary file beside the upload store and hashed as it
goes; a declared ``Content-Length`` over the limit is refused before a byte is read, and a body that grows
past the limit is refused the moment it does, its partial file deleted. Only a complete upload is moved
to ``<uploads>/<sha256>`` (content-addressed: the same archive is stored once).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Any

from python_multipart.multipart import MultipartParser, parse_options_header

from vetpy.result import one_line

#: Room for the multipart envelope (boundaries, part headers) on top of the file itself.
ENVELOPE_BYTES = 64 * 1024


class UploadError(Exception):
    """A refused upload: ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Upload:
    """A stored upload: its content address, size, and the file name the client gave."""

    sha256: str
    size: int
    filename: str
    path: Path


def client_filename(raw: str) -> str:
    """The base name of a client-supplied file name, on one line, at most 200 characters."""
    name = PureWindowsPath(PurePosixPath(raw).name).name
    return one_line(name)[:200] if name.strip() else "upload"


class _FilePart:
    """Collects one multipart stream: the ``file`` field to a temp file, other fields discarded."""

    def __init__(self, directory: Path, limit: int) -> None:
        self.directory = directory
        self.limit = limit
        self.size = 0
        self.digest = hashlib.sha256()
        self.handle: IO[bytes] | None = None
        self.temp: Path | None = None
        self.filename = ""
        self.found = False
        self._in_file = False
        self._header_field = b""
        self._header_value = b""
        self._disposition = b""

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._add("_header_field", data[start:end]),
            "on_header_value": lambda data, start, end: self._add("_header_value", data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _add(self, attr: str, data: bytes) -> None:
        setattr(self, attr, getattr(self, attr) + data)

    def _part_begin(self) -> None:
        self._disposition = b""
        self._in_file = False

    def _header_end(self) -> None:
        if self._header_field.strip().lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_field = self._header_value = b""

    def _headers_finished(self) -> None:
        _kind, options = parse_options_header(self._disposition)
        if options.get(b"name") == b"file" and not self.found:
            self.found = self._in_file = True
            self.filename = client_filename(options.get(b"filename", b"upload").decode("utf-8", "replace"))
            fd, name = tempfile.mkstemp(prefix=".part-", dir=self.directory)
            self.temp = Path(name)
            self.handle = os.fdopen(fd, "wb")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file or self.handle is None:
            return
        chunk = data[start:end]
        self.size += len(chunk)
        if self.size > self.limit:
            raise UploadError(413, f"upload larger than the limit of {self.limit} bytes")
        self.digest.update(chunk)
        self.handle.write(chunk)

    def _part_end(self) -> None:
        self._in_file = False

    def discard(self) -> None:
        if self.handle is not None:
            self.handle.close()
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)


async def receive_upload(
    stream: AsyncIterator[bytes], content_type: str, content_length: str | None, uploads: Path, limit: int
) -> Upload:
    """Read a multipart body from ``stream`` and store its ``file`` field (see the module docstring)."""
    _kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise UploadError(400, "a multipart body needs a boundary")
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise UploadError(400, "bad Content-Length") from None
        if declared > limit + ENVELOPE_BYTES:
            raise UploadError(413, f"upload larger than the limit of {limit} bytes")
    uploads.mkdir(parents=True, exist_ok=True)
    part = _FilePart(uploads, limit)
    parser = MultipartParser(boundary, part.callbacks(), max_size=limit + ENVELOPE_BYTES)  # type: ignore[arg-type]
    received = 0
    try:
        async for chunk in stream:
            received += len(chunk)
            if received > limit + ENVELOPE_BYTES:
                raise UploadError(413, f"upload larger than the limit of {limit} bytes")
            parser.write(chunk)
        parser.finalize()
        if not part.found or part.handle is None or part.temp is None:
            raise UploadError(400, "no 'file' field in the upload")
        part.handle.flush()
        os.fsync(part.handle.fileno())
        part.handle.close()
        sha256 = part.digest.hexdigest()
        final = uploads / sha256
        os.replace(part.temp, final)
        part.temp = None
        return Upload(sha256=sha256, size=part.size, filename=part.filename, path=final)
    except UploadError:
        raise
    except Exception as exc:
        raise UploadError(400, one_line(f"unreadable multipart body: {type(exc).__name__}")) from None
    finally:
        part.discard()
