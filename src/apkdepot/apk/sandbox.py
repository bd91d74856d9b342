"""Inspects untrusted bytes in warm, limited child processes (apk/worker.py).

* A fixed number of children (``APKDEPOT_INSPECT_WORKERS``) per server
  process, each with an address-space limit, so inspection memory is bounded
  by workers x ``APKDEPOT_INSPECT_MEMORY_BYTES``.
* At most ``APKDEPOT_INSPECT_QUEUE`` uploads wait for a child; one more is
  refused at once (``InspectorBusy``: 503 with Retry-After) instead of piling up.
* A child serves ``APKDEPOT_INSPECT_FILES_PER_WORKER`` files and is then
  replaced; one that overruns its CPU or wall-clock allowance, runs out of
  memory or answers garbage is killed and replaced. Any such outcome is a
  rejection of that file, never a server error.
* Children start on first use and stay warm (androguard imported once)."""

from __future__ import annotations

import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from apkdepot.apk.images import ImageFacts, ImageRejected
from apkdepot.apk.info import ApkInfo, ApkRejected
from apkdepot.apk.inspect import ZipLimits


@dataclass(frozen=True)
class SandboxLimits:
    memory_bytes: int = 1024 * 1024 * 1024
    cpu_seconds: int = 20
    wall_seconds: float = 60.0
    zip: ZipLimits = ZipLimits()
    refuse_v1_only: bool = True


@dataclass(frozen=True)
class PoolSize:
    workers: int = 2
    queue: int = 8
    files_per_worker: int = 50


class InspectorBusy(Exception):
    """Every child is busy and the waiting line is full."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"inspection queue full; retry after {retry_after} s")


class _Child:
    def __init__(self, limits: SandboxLimits) -> None:
        z = limits.zip
        command = [sys.executable, "-m", "apkdepot.apk.worker", str(limits.memory_bytes), str(limits.cpu_seconds),
                   str(z.max_entries), str(z.max_entry_bytes), str(z.max_total_bytes), str(z.max_ratio),
                   str(z.ratio_floor_bytes), str(z.max_manifest_bytes), "1" if limits.refuse_v1_only else "0"]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        self.served = 0

    def kill(self) -> None:
        try:
            self.process.kill()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def _read(self, size: int, deadline: float) -> bytes | None:
        fd = self.process.stdout.fileno()
        chunks = []
        while size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(fd, size)
            if not chunk:
                return b""  # the child died
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def inspect(self, path: Path, wall_seconds: float, kind: bytes = b"a") -> tuple[Any, bool]:
        """(answer: ApkInfo or ImageFacts by ``kind``, or ApkRejected; whether the child can serve again)."""
        request = kind + str(path).encode("utf-8")
        try:
            self.process.stdin.write(struct.pack("<I", len(request)) + request)
            self.process.stdin.flush()
        except OSError:
            return ApkRejected("too_complex", "inspector stopped"), False
        deadline = time.monotonic() + wall_seconds
        header = self._read(4, deadline)
        if header is None:
            return ApkRejected("too_complex", "inspection timed out"), False
        if header == b"":
            return self._death(), False
        body = self._read(struct.unpack("<I", header)[0], deadline)
        if not body:
            return (ApkRejected("too_complex", "inspection timed out") if body is None else self._death()), False
        self.served += 1
        try:
            if body[:2] == b"ok":
                return msgspec.msgpack.decode(body[2:], type=ImageFacts if kind == b"i" else ApkInfo), True
            if body[:2] == b"no":
                reason, detail = msgspec.msgpack.decode(body[2:])
                return ApkRejected(str(reason), str(detail)), reason != "too_big"
        except msgspec.DecodeError:
            pass
        return ApkRejected("too_complex", "unreadable inspector answer"), False

    def _death(self) -> ApkRejected:
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        if code == -signal.SIGXCPU:
            return ApkRejected("too_complex", "CPU time limit")
        if code in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGKILL):
            return ApkRejected("too_big", f"inspector stopped (signal {-code})")
        return ApkRejected("too_complex", f"inspector stopped (exit {code})")


class InspectorPool:
    def __init__(self, limits: SandboxLimits = SandboxLimits(), size: PoolSize = PoolSize()) -> None:
        self.limits = limits
        self.size = size
        self._slots = threading.BoundedSemaphore(size.workers)
        self._lock = threading.Lock()
        self._idle: list[_Child] = []
        self._waiting = 0
        self._closed = False
        self.started = 0  # children started so far (for tests and metrics)

    def inspect(self, path: Path) -> ApkInfo:
        return self._ask(path, b"a")

    def inspect_image(self, path: Path) -> ImageFacts:
        """A listing image decoded whole in a child; raises ImageRejected for any image it cannot use."""
        try:
            return self._ask(path, b"i")
        except ApkRejected as rejected:
            if rejected.reason == "bad_image":
                raise ImageRejected(rejected.detail) from None
            # The child ran out of memory or time on it: a bomb, whatever its header said.
            raise ImageRejected(f"the image is too large or too complex to decode ({rejected.detail})") from None

    def _ask(self, path: Path, kind: bytes):
        with self._lock:
            if self._waiting >= self.size.queue + self.size.workers:
                raise InspectorBusy(retry_after=max(1, int(self.limits.wall_seconds // 4)))
            self._waiting += 1
        try:
            with self._slots:
                child = self._take()
                try:
                    answer, reusable = child.inspect(path, self.limits.wall_seconds, kind)
                except BaseException:
                    child.kill()
                    raise
                self._give_back(child, reusable)
        finally:
            with self._lock:
                self._waiting -= 1
        if isinstance(answer, ApkRejected):
            raise answer
        return answer

    def _take(self) -> _Child:
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.process.poll() is None:
                    return child
                child.kill()
            self.started += 1
        return _Child(self.limits)

    def _give_back(self, child: _Child, reusable: bool) -> None:
        if reusable and child.served < self.size.files_per_worker and not self._closed:
            with self._lock:
                self._idle.append(child)
            return
        child.kill()

    def children(self) -> list[int]:
        with self._lock:
            return [c.process.pid for c in self._idle]

    def close(self) -> None:
        self._closed = True
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            child.kill()


def inspect_in_sandbox(path: Path, limits: SandboxLimits = SandboxLimits()) -> ApkInfo:
    """One file in a fresh pool of one (tools and tests that inspect a single file)."""
    pool = InspectorPool(limits, PoolSize(workers=1, queue=0, files_per_worker=1))
    try:
        return pool.inspect(path)
    finally:
        pool.close()
