"""APK inspection throughput: ApkDepot's warm inspector pool (sandboxed
children, in-process v1/v2/v3 signature verification) against Debian's
`aapt dump badging` on the same files, in the same run, with the same
concurrency. Files: the test fixtures and real-world APKs we did not build
(scripts/fetch-real-apks).

    .venv/bin/python bench/inspection.py [--repeats 3] [--rounds 5] [--concurrency 2]

Prints files/second for each side (min/median/max of the repeats) and the
ratio. Also the cold cost: one fresh child per file, as before the pool.
aapt only reads the manifest and resources; the pool also checks every ZIP
entry (CRCs, sizes) and verifies the signatures."""

from __future__ import annotations

import argparse
import runpy
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apkdepot.apk.info import ApkRejected  # noqa: E402
from apkdepot.apk.sandbox import InspectorPool, PoolSize, SandboxLimits, inspect_in_sandbox  # noqa: E402


def corpus() -> list[Path]:
    fixtures = sorted(p for p in (ROOT / "tests" / "fixtures" / "apks").glob("*.apk"))
    real = runpy.run_path(str(ROOT / "scripts" / "fetch-real-apks"))["fetch"]()
    return fixtures + [p for p in real if "androidTest" not in p.name]


def timed(work, files: list[Path], rounds: int, concurrency: int) -> float:
    """Files per second for `rounds` passes over `files`."""
    jobs = files * rounds
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as executor:
        list(executor.map(work, jobs))
    return len(jobs) / (time.perf_counter() - started)


def aapt(path: Path) -> None:
    subprocess.run(["aapt", "dump", "badging", str(path)], capture_output=True, check=False)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    files = corpus()
    size = sum(p.stat().st_size for p in files)
    print(f"{len(files)} APKs, {size / 1e6:.1f} MB in all; {args.rounds} passes per repeat, "
          f"{args.concurrency} at a time")
    pool = InspectorPool(SandboxLimits(), PoolSize(workers=args.concurrency, queue=args.concurrency * 4,
                                                   files_per_worker=10_000))

    def ours(path: Path) -> None:
        try:
            pool.inspect(path)
        except ApkRejected:
            pass  # unsigned.apk and bad-package.apk are inspected fully, then refused

    small = [p for p in files if p.stat().st_size < 1_000_000]
    large = [p for p in files if p.stat().st_size >= 1_000_000]
    results: dict[str, list[float]] = {}
    try:
        for path in files:  # warm the children once, outside the timing
            ours(path)
        for label, subset in (("all", files), (f"{len(small)} small (<1 MB)", small),
                              (f"{len(large)} real-world >=1 MB", large)):
            for _ in range(args.repeats):
                results.setdefault(f"aapt dump badging, {label}", []).append(
                    timed(aapt, subset, args.rounds, args.concurrency))
                results.setdefault(f"apkdepot pool, {label}", []).append(
                    timed(ours, subset, args.rounds, args.concurrency))
    finally:
        pool.close()

    def cold(path: Path) -> None:
        try:
            inspect_in_sandbox(path)
        except ApkRejected:
            pass

    results["apkdepot, a fresh child per file"] = [timed(cold, files, 1, args.concurrency) for _ in range(args.repeats)]
    print(f"{'':48} {'min':>8} {'median':>8} {'max':>8}   files/s")
    for name, values in results.items():
        print(f"{name:48} {min(values):8.1f} {statistics.median(values):8.1f} {max(values):8.1f}")
    for name in results:
        if name.startswith("apkdepot pool, "):
            label = name.removeprefix("apkdepot pool, ")
            ratio = statistics.median(results[name]) / statistics.median(results[f"aapt dump badging, {label}"])
            print(f"apkdepot pool / aapt, {label} (medians): {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
