"""Receiving uploads: a multipart body is parsed as it streams in. The parts
named as files (``apk``) go straight to private temp files under a running
size cap, whether or not the client gave them a file name; every other part
is a short UTF-8 text field. Nothing is buffered whole in memory, and the
temp files are always removed (``ReceivedForm.close``)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
from python_multipart.multipart import MultipartParser, parse_options_header

from apkdepot import errors
from apkdepot.errors import Failure, Problem, problem
from apkdepot.services import Services

MAX_PARTS = 200
WRITE_CHUNK = 1 << 20


@dataclass
class ReceivedFile:
    filename: str
    path: Path
    size: int = 0


@dataclass
class ReceivedForm:
    fields: dict[str, str] = field(default_factory=dict)  # a repeated field: the last one
    fields_all: dict[str, list[str]] = field(default_factory=dict)  # every value of each field, in order
    files: dict[str, list[ReceivedFile]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # IARG-101 / IARG-103: the body could not be read

    def file(self, name: str) -> ReceivedFile | None:
        found = self.files.get(name)
        return found[-1] if found else None

    def close(self) -> None:
        for received in self.files.values():
            for item in received:
                item.path.unlink(missing_ok=True)

    def __enter__(self) -> "ReceivedForm":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class _Part:
    def __init__(self) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.name = ""
        self.filename = ""
        self.text = bytearray()
        self.file: ReceivedFile | None = None
        self.fd: int | None = None
        self.pending = bytearray()


async def receive_multipart(request: Any, svc: Services, file_fields: tuple[str, ...] = ("apk",),
                            file_limit: int | None = None, too_large: errors.ErrorSpec = errors.APK_TOO_LARGE
                            ) -> ReceivedForm:
    """The request's multipart body, streamed (see the module's description).
    Raises Failure ``too_large`` (413; APK-6 by default) when a file passes
    ``file_limit`` (the APK size limit by default)."""
    form = ReceivedForm()
    media, options = parse_options_header(request.headers.get("content-type", ""))
    if media == b"application/x-www-form-urlencoded":  # a form without files
        from urllib.parse import parse_qsl

        from apkdepot.api.json.common import read_capped_body

        try:
            pairs = parse_qsl((await read_capped_body(request)).decode("utf-8"), keep_blank_values=True,
                              errors="strict")
            form.fields = dict(pairs)
            for name, value in pairs:
                form.fields_all.setdefault(name, []).append(value)
        except UnicodeDecodeError:
            form.problems.append(problem(errors.INVALID_ENCODING))
        return form
    boundary = options.get(b"boundary")
    if not boundary:
        form.problems.append(problem(errors.MALFORMED_BODY))
        return form
    tmp_dir = svc.settings.data_dir / "tmp"
    text_limit = svc.settings.max_field_length * 4  # UTF-8 bytes of the longest field allowed
    file_limit = file_limit or svc.settings.max_apk_bytes
    state: dict[str, Any] = {"part": None, "field": b"", "value": b"", "parts": 0, "error": None}
    writes: list[tuple[int, bytes | None]] = []  # (fd, bytes to write), or (fd, None): close it

    def on_part_begin() -> None:
        state["parts"] += 1
        if state["parts"] > MAX_PARTS:
            raise ValueError("too many parts")
        state["part"] = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["part"].headers[state["field"].lower()] = state["value"]
        state["field"], state["value"] = b"", b""

    def on_headers_finished() -> None:
        part = state["part"]
        _, disposition = parse_options_header(part.headers.get(b"content-disposition", b""))
        try:
            part.name = disposition.get(b"name", b"").decode("utf-8")
            part.filename = disposition.get(b"filename", b"").decode("utf-8", errors="replace")
        except UnicodeDecodeError:
            raise UnicodeError("part name") from None
        if part.name in file_fields:
            tmp_dir.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=tmp_dir, suffix=".upload")
            part.fd = fd
            part.file = ReceivedFile(part.filename or part.name, Path(name))
            form.files.setdefault(part.name, []).append(part.file)

    def on_part_data(data: bytes, start: int, end: int) -> None:
        part = state["part"]
        chunk = data[start:end]
        if part.file is not None:
            part.file.size += len(chunk)
            if part.file.size > file_limit:
                raise OverflowError("file")
            part.pending += chunk
            if len(part.pending) >= WRITE_CHUNK:
                writes.append((part.fd, bytes(part.pending)))
                part.pending.clear()
        else:
            part.text += chunk
            if len(part.text) > text_limit:
                part.text = part.text[: text_limit + 1]  # kept too long, so the caller reports it

    def on_part_end() -> None:
        part = state["part"]
        if part.file is not None:
            writes.append((part.fd, bytes(part.pending)))
            writes.append((part.fd, None))
        else:
            try:
                form.fields[part.name] = part.text.decode("utf-8")
                form.fields_all.setdefault(part.name, []).append(form.fields[part.name])
            except UnicodeDecodeError:
                raise UnicodeError("field") from None

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
        "on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished})

    def flush() -> None:
        for fd, data in writes:
            if data is None:
                os.close(fd)
            else:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
        writes.clear()

    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if writes:
                await anyio.to_thread.run_sync(flush)
        parser.finalize()
        await anyio.to_thread.run_sync(flush)
    except OverflowError:
        _abandon(form, state, writes)
        raise Failure(problem(too_large, file_fields[0], limit=file_limit // (1024 * 1024))) from None
    except UnicodeError:
        _abandon(form, state, writes)
        form.problems.append(problem(errors.INVALID_ENCODING))
    except Exception:  # noqa: BLE001 - the parser's own errors all mean a malformed body
        _abandon(form, state, writes)
        form.problems.append(problem(errors.MALFORMED_BODY))
    return form


def _abandon(form: ReceivedForm, state: dict[str, Any], writes: list[tuple[int, bytes | None]]) -> None:
    """Closes what is open and removes every temp file (the form keeps no files)."""
    open_fds = {fd for fd, _ in writes}
    part = state.get("part")
    if part is not None and part.fd is not None:
        open_fds.add(part.fd)
    closed = {fd for fd, data in writes if data is None}
    for fd in open_fds - closed:
        try:
            os.close(fd)
        except OSError:
            pass
    writes.clear()
    form.close()
    form.files.clear()
