"""Receiving an uploaded APK: copy the multipart part to a private temp file
(with a running size cap), publish it, and always remove the temp file."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from apkdepot import errors
from apkdepot.errors import Failure, problem
from apkdepot.services import Services


@contextmanager
def upload_to_temp_file(svc: Services, upload: Any) -> Iterator[Path]:
    """``upload`` is a framework UploadFile (its ``.file`` a binary file object)."""
    tmp_dir = svc.settings.data_dir / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=tmp_dir, suffix=".apk")
    path = Path(name)
    try:
        limit = svc.settings.max_apk_bytes
        copied = 0
        source = upload.file
        source.seek(0)
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(1 << 20):
                copied += len(chunk)
                if copied > limit:
                    raise Failure(problem(errors.APK_TOO_LARGE, "apk", limit=limit // (1024 * 1024)))
                out.write(chunk)
        yield path
    finally:
        path.unlink(missing_ok=True)

