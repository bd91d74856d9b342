"""The OpenAPI document is the contract: schemathesis, with every check on,
generates requests from it against a live `apkdepot serve` and finds no
failure (no 5xx, no undocumented status, content type or method, no
schema-valid request refused, no schema-violating request accepted, every
answer matching its documented schema).

The seed is fixed, so a run is repeatable; APKDEPOT_SCHEMATHESIS_SEED=random
explores with a new one (printed, and replayable by number), and
APKDEPOT_SCHEMATHESIS_EXAMPLES sets the examples per operation."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import httpx

from tests.test_server import start_server, stop

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))


def run_schemathesis(base: str, token: str, seed: int, *selection: str) -> subprocess.CompletedProcess:
    examples = os.environ.get("APKDEPOT_SCHEMATHESIS_EXAMPLES", "25")
    return subprocess.run(
        [SCHEMATHESIS, "--config-file", str(ROOT / "tests" / "contract" / "schemathesis.toml"), "--no-color", "run", f"{base}/schema/openapi.json", "--checks", "all",
         "-H", f"Authorization: Bearer {token}", "--seed", str(seed), "--max-examples", examples, *selection],
        capture_output=True, text=True, cwd=ROOT, timeout=1800,
        env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.contract.hooks", "PYTHONPATH": str(ROOT)})


def failures_of(output: str) -> str:
    """The FAILURES section, readable: long runs of one character (generated
    bodies) shortened, long lines cut."""
    import re

    section = output.split("FAILURES", 1)[-1].split("WARNINGS", 1)[0]
    section = re.sub(r"((\\x[0-9a-f]{2})|(.))\1{15,}", lambda m: f"{m.group(1)}…(×{len(m.group(0)) // len(m.group(1))})",
                     section)
    return "\n".join(line[:1500] for line in section.splitlines())


def test_the_live_server_keeps_its_openapi_contract(tmp_path):
    chosen = os.environ.get("APKDEPOT_SCHEMATHESIS_SEED", "20261122")
    seed = random.SystemRandom().randrange(2**31) if chosen == "random" else int(chosen)
    print(f"schemathesis seed: {seed} (APKDEPOT_SCHEMATHESIS_SEED={seed} replays it)")
    process, base = start_server(tmp_path / "data", tmp_path / "server.log", workers=1)
    try:
        token = (tmp_path / "server.log").read_text().split("dev token: ", 1)[1].split()[0]
        # Everything but what replaces the token (which would leave the rest unauthenticated) ...
        main = run_schemathesis(base, token, seed, "--exclude-path-regex", "regenerate")
        assert main.returncode == 0, f"seed {seed}:\n{failures_of(main.stdout)}\n{main.stderr[-3000:]}"
        assert " passed" in main.stdout and "failure" not in main.stdout.split("SUMMARY", 1)[-1]
        # ... then what replaces it, on its own.
        last = run_schemathesis(base, token, seed, "--include-path-regex", "regenerate")
        assert last.returncode == 0, f"seed {seed}:\n{failures_of(last.stdout)}\n{last.stderr[-3000:]}"
        assert httpx.get(base + "/healthz").status_code == 200
    finally:
        stop(process)
    assert "Traceback" not in (tmp_path / "server.log").read_text()
