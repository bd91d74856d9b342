"""Runs the inspector on untrusted bytes in a child process with an address
space limit, a CPU-time limit and a wall-clock timeout. Children fork from a
forkserver that has androguard loaded already, so each APK costs a fork, not
an interpreter start."""

from __future__ import annotations

import multiprocessing
import resource
import threading
from dataclasses import dataclass
from pathlib import Path

import msgspec

from apkdepot.apk.info import ApkInfo, ApkRejected
from apkdepot.apk.inspect import ZipLimits, inspect_apk, verify_with_apksigner

_context_lock = threading.Lock()
_context = None


@dataclass(frozen=True)
class SandboxLimits:
    memory_bytes: int = 2 * 1024 * 1024 * 1024
    cpu_seconds: int = 60
    wall_seconds: float = 120.0
    zip: ZipLimits = ZipLimits()


def _get_context():
    global _context
    with _context_lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["apkdepot.apk.inspect", "androguard.core.apk", "loguru"])
            _context = ctx
        return _context


def _child(path: str, limits: SandboxLimits, conn) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        info = inspect_apk(Path(path), limits.zip, apksigner=None)
        conn.send_bytes(b"ok" + msgspec.msgpack.encode(info))
    except ApkRejected as rejected:
        conn.send_bytes(b"no" + msgspec.msgpack.encode([rejected.reason, rejected.detail]))
    except MemoryError:
        conn.send_bytes(b"no" + msgspec.msgpack.encode(["too_complex", "memory limit"]))
    except Exception as exc:  # noqa: BLE001 - anything else a hostile file provokes is a rejection
        conn.send_bytes(b"no" + msgspec.msgpack.encode(["bad_manifest", type(exc).__name__]))
    finally:
        conn.close()


def inspect_in_sandbox(path: Path, limits: SandboxLimits = SandboxLimits(), apksigner: str | None = None) -> ApkInfo:
    ctx = _get_context()
    parent_conn, child_conn = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(str(path), limits, child_conn), daemon=True)
    process.start()
    child_conn.close()
    try:
        if not parent_conn.poll(limits.wall_seconds):
            raise ApkRejected("too_complex", "inspection timed out")
        try:
            message = parent_conn.recv_bytes()
        except EOFError:
            raise ApkRejected("too_complex", f"inspector stopped (exit {process.exitcode})") from None
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        parent_conn.close()
    if message[:2] == b"no":
        reason, detail = msgspec.msgpack.decode(message[2:])
        raise ApkRejected(reason, detail)
    info = msgspec.msgpack.decode(message[2:], type=ApkInfo)
    if info.signer_sha256 is not None and apksigner:
        verify_with_apksigner(path, apksigner)
    return info
