"""The OpenAPI document is the contract: schemathesis, with every check on,
generates requests from it against a live `apkdepot serve` and finds no
failure (no 5xx, no undocumented status, content type or method, no
schema-valid request refused, no schema-violating request accepted, every
answer matching its documented schema).

The seed is random each run and printed; APKDEPOT_SCHEMATHESIS_SEED replays
one, APKDEPOT_SCHEMATHESIS_EXAMPLES sets the examples per operation."""

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
        [SCHEMATHESIS, "--no-color", "run", f"{base}/schema/openapi.json", "--checks", "all",
         "-H", f"Authorization: Bearer {token}", "--seed", str(seed), "--max-examples", examples, *selection],
        capture_output=True, text=True, cwd=ROOT, timeout=1800,
        env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.contract.hooks", "PYTHONPATH": str(ROOT)})


def test_the_live_server_keeps_its_openapi_contract(tmp_path):
    seed = int(os.environ.get("APKDEPOT_SCHEMATHESIS_SEED") or random.SystemRandom().randrange(2**31))
    print(f"schemathesis seed: {seed} (APKDEPOT_SCHEMATHESIS_SEED={seed} replays it)")
    process, base = start_server(tmp_path / "data", tmp_path / "server.log", workers=1)
    try:
        token = (tmp_path / "server.log").read_text().split("dev token: ", 1)[1].split()[0]
        # Everything but what replaces the token (which would leave the rest unauthenticated) ...
        main = run_schemathesis(base, token, seed, "--exclude-path-regex", "regenerate")
        assert main.returncode == 0, f"seed {seed}:\n{main.stdout[-20000:]}\n{main.stderr[-5000:]}"
        assert " passed" in main.stdout and "failure" not in main.stdout.split("SUMMARY", 1)[-1]
        # ... then what replaces it, on its own.
        last = run_schemathesis(base, token, seed, "--include-path-regex", "regenerate")
        assert last.returncode == 0, f"seed {seed}:\n{last.stdout[-20000:]}\n{last.stderr[-5000:]}"
        assert httpx.get(base + "/healthz").status_code == 200
    finally:
        stop(process)
    assert "Traceback" not in (tmp_path / "server.log").read_text()
