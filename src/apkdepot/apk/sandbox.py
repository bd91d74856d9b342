"""Runs the inspector on untrusted bytes in a child process (apk/worker.py)
with an address-space limit, a CPU-time limit and a wall-clock timeout. A child
that dies, overruns or answers garbage is a rejection, never a server error."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import msgspec

from apkdepot.apk.info import ApkInfo, ApkRejected
from apkdepot.apk.inspect import ZipLimits, verify_with_apksigner


@dataclass(frozen=True)
class SandboxLimits:
    memory_bytes: int = 2 * 1024 * 1024 * 1024
    cpu_seconds: int = 60
    wall_seconds: float = 120.0
    zip: ZipLimits = ZipLimits()


def inspect_in_sandbox(path: Path, limits: SandboxLimits = SandboxLimits(), apksigner: str | None = None) -> ApkInfo:
    z = limits.zip
    command = [sys.executable, "-m", "apkdepot.apk.worker", str(path), str(limits.memory_bytes),
               str(limits.cpu_seconds), str(z.max_entries), str(z.max_entry_bytes), str(z.max_total_bytes),
               str(z.max_ratio), str(z.ratio_floor_bytes)]
    try:
        result = subprocess.run(command, capture_output=True, timeout=limits.wall_seconds, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ApkRejected("too_complex", "inspection timed out") from None
    answer = result.stdout
    try:
        if answer[:2] == b"ok":
            info = msgspec.msgpack.decode(answer[2:], type=ApkInfo)
        elif answer[:2] == b"no":
            reason, detail = msgspec.msgpack.decode(answer[2:])
            raise ApkRejected(str(reason), str(detail))
        else:
            raise ApkRejected("too_complex", f"inspector stopped (exit {result.returncode})")
    except msgspec.DecodeError:
        raise ApkRejected("too_complex", "unreadable inspector answer") from None
    if info.signer_sha256 is not None and apksigner:
        verify_with_apksigner(path, apksigner)
    return info
