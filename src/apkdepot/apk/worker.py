"""An inspector child process: ``python -m apkdepot.apk.worker LIMITS...``.

It limits itself (address space, no core files) before importing anything
that touches a file, imports androguard once (warm), then answers requests
on stdin/stdout until its parent closes stdin or it has served its quota:

    request:  uint32 length + kind (b"a": an APK, b"i": a listing image) + UTF-8 path
    answer:   uint32 length + (b"ok" + msgpack ApkInfo or ImageFacts | b"no" + msgpack [reason, detail])

Before each file it sets its CPU-time soft limit to what it has used so far
plus the per-file allowance, so a file that spins is killed by SIGXCPU
without affecting the files before it. A MemoryError answers "too_big" and
the process then exits: its heap may be left fragmented."""

from __future__ import annotations

import os
import resource
import struct
import sys


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = os.read(fd, size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    (memory_bytes, cpu_seconds, max_entries, max_entry, max_total, max_ratio, ratio_floor, max_manifest,
     refuse_v1_only) = sys.argv[1:10]
    resource.setrlimit(resource.RLIMIT_AS, (int(memory_bytes), int(memory_bytes)))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # Answers go to a private copy of stdout; anything a library prints lands on stderr.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)

    from pathlib import Path

    import msgspec

    from apkdepot.apk.images import ImageRejected, inspect_image
    from apkdepot.apk.info import ApkRejected
    from apkdepot.apk.inspect import ZipLimits, inspect_apk, warm_up

    limits = ZipLimits(int(max_entries), int(max_entry), int(max_total), int(max_ratio), int(ratio_floor),
                       int(max_manifest))
    warm_up()
    while True:
        header = _read_exact(0, 4)
        if header is None:
            return 0
        request = _read_exact(0, struct.unpack("<I", header)[0])
        if request is None:
            return 0
        kind, raw_path = request[:1], request[1:]
        soft = int(_cpu_used()) + int(cpu_seconds)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))
        exit_after = False
        try:
            path = Path(raw_path.decode("utf-8"))
            facts = (inspect_image(path) if kind == b"i"
                     else inspect_apk(path, limits, refuse_v1_only=refuse_v1_only == "1"))
            answer = b"ok" + msgspec.msgpack.encode(facts)
        except ApkRejected as rejected:
            answer = b"no" + msgspec.msgpack.encode([rejected.reason, rejected.detail])
        except ImageRejected as rejected:
            answer = b"no" + msgspec.msgpack.encode(["bad_image", rejected.detail])
        except MemoryError:
            answer = b"no" + msgspec.msgpack.encode(["too_big", "memory limit"])
            exit_after = True
        except RecursionError:
            answer = b"no" + msgspec.msgpack.encode(["too_complex", "nesting too deep"])
        except Exception as exc:  # noqa: BLE001 - whatever a hostile file provokes is a rejection
            answer = b"no" + msgspec.msgpack.encode(["bad_manifest", type(exc).__name__])
        answers.write(struct.pack("<I", len(answer)) + answer)
        answers.flush()
        if exit_after:
            return 0


if __name__ == "__main__":
    sys.exit(main())
