"""The inspector's child process: ``python -m apkdepot.apk.worker PATH LIMITS``.

It limits itself (address space, CPU time, no core files) before importing
anything that touches the file, then writes one msgpack answer to stdout:
b"ok" + ApkInfo, or b"no" + [reason, detail]."""

from __future__ import annotations

import resource
import sys


def main() -> int:
    path, memory_bytes, cpu_seconds, max_entries, max_entry, max_total, max_ratio, ratio_floor = sys.argv[1:9]
    resource.setrlimit(resource.RLIMIT_AS, (int(memory_bytes), int(memory_bytes)))
    resource.setrlimit(resource.RLIMIT_CPU, (int(cpu_seconds), int(cpu_seconds) + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    from pathlib import Path

    import msgspec

    from apkdepot.apk.info import ApkRejected
    from apkdepot.apk.inspect import ZipLimits, inspect_apk

    limits = ZipLimits(int(max_entries), int(max_entry), int(max_total), int(max_ratio), int(ratio_floor))
    out = sys.stdout.buffer
    try:
        out.write(b"ok" + msgspec.msgpack.encode(inspect_apk(Path(path), limits, apksigner=None)))
    except ApkRejected as rejected:
        out.write(b"no" + msgspec.msgpack.encode([rejected.reason, rejected.detail]))
    except MemoryError:
        out.write(b"no" + msgspec.msgpack.encode(["too_complex", "memory limit"]))
    except Exception as exc:  # noqa: BLE001 - whatever a hostile file provokes is a rejection
        out.write(b"no" + msgspec.msgpack.encode(["bad_manifest", type(exc).__name__]))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
