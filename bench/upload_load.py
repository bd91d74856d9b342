"""Hostile uploads under load: N crafted APKs uploaded at once to a real
`apkdepot serve`, while /healthz is polled. Reports the peak resident memory
of the whole server (main process, workers, inspector children), the refusal
codes, how many 503s the full queue gave, and whether /healthz stayed green.

    .venv/bin/python bench/upload_load.py [--uploads 24] [--workers 2]

The crafted files: heavy manifests (seconds of parser CPU in 64 KB), zip bombs
(declared sizes and a real 200 MB inflation), 10 MiB of random bytes named
.apk, and valid APKs."""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.security import corpus  # noqa: E402
from tests.test_server import start_server, stop  # noqa: E402


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            status = (entry / "status").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat[1])
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(entry.name)] = int(line.split()[1]) * 1024
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        todo += [child for child, parent in parents.items() if parent == current]
    return total


def crafted(work: Path) -> list[tuple[str, bytes]]:
    heavy = corpus.make_heavy_manifest(work, elements=70_000, name="heavy.apk").read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("AndroidManifest.xml", b"\x03\x00\x08\x00" + b"\x00" * 64)
        with zf.open("res/raw/zeros.bin", "w") as out:
            for _ in range(200):
                out.write(b"\x00" * (1 << 20))
    bomb = buffer.getvalue()
    noise = os.urandom(10 * 1024 * 1024)
    valid = (ROOT / "tests" / "fixtures" / "apks" / "beta-10.apk").read_bytes()
    return [("heavy", heavy), ("zip bomb", bomb), ("random 10 MiB", noise), ("valid", valid)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uploads", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        kinds = crafted(work)
        process, base = start_server(work / "data", work / "server.log", workers=args.workers)
        try:
            log = (work / "server.log").read_text()
            token = log.split("dev token: ", 1)[1].split()[0]
            peak = tree_rss(process.pid)
            idle = peak
            health: Counter[int] = Counter()
            stop_polling = threading.Event()

            def poll() -> None:
                nonlocal peak
                with httpx.Client(base_url=base, timeout=30) as client:
                    while not stop_polling.is_set():
                        peak = max(peak, tree_rss(process.pid))
                        try:
                            health[client.get("/healthz").status_code] += 1
                        except httpx.HTTPError:
                            health[0] += 1
                        time.sleep(0.1)

            outcomes: Counter[str] = Counter()

            def send(i: int) -> None:
                kind, data = kinds[i % len(kinds)]
                with httpx.Client(base_url=base, timeout=600) as client:
                    response = client.post("/api/stores/demo/apks", files={"apk": (f"{i}.apk", data)},
                                           headers={"Authorization": f"Bearer {token}"})
                codes = [e["code"] for e in response.json().get("errors", [])] or ["published"]
                outcomes[f"{kind}: HTTP {response.status_code} {','.join(codes)}"] += 1

            poller = threading.Thread(target=poll)
            poller.start()
            started = time.monotonic()
            senders = [threading.Thread(target=send, args=(i,)) for i in range(args.uploads)]
            for t in senders:
                t.start()
            for t in senders:
                t.join()
            elapsed = time.monotonic() - started
            stop_polling.set()
            poller.join()
        finally:
            stop(process)
    print(f"{args.uploads} concurrent uploads to {args.workers} server workers in {elapsed:.1f} s")
    print(f"server RSS (all processes): idle {idle / 2**20:.0f} MiB, peak {peak / 2**20:.0f} MiB")
    print(f"/healthz during the load: {dict(health)} (0 = no answer)")
    for outcome, count in sorted(outcomes.items()):
        print(f"  {count:3d} x {outcome}")
    return 0 if set(health) == {200} else 1


if __name__ == "__main__":
    sys.exit(main())
