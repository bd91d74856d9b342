"""The JavaScript Aptoide clients from npm, run unmodified against a live
ApkDepot with Aptoide's host names pointed at it (tests/clients/aptoide_dns.py).

npm ``aptoide-api`` 4.0.7 (index.js): ``search(query, limit)`` GETs
https://ws75.aptoide.com/api/7/apps/search?query=…&limit=… and maps
data.datalist.list[] to {name, package, size: (size/1024/1024).toFixed(2)+"MB",
version: file.vername, downloads: stats.downloads, rating: stats.rating.avg,
icon, downloadUrl: file.path}; ``download(url)`` GETs the URL as bytes. The
client is fetched by scripts/fetch-js-clients at test time."""

from __future__ import annotations

import hashlib
import json
import os
import runpy
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.clients.aptoide_dns import NODE_RESOLVER, TlsFront, make_certificates
from tests.conftest import needs_tool, unavailable
from tests.test_server import start_server, stop

ROOT = Path(__file__).resolve().parents[2]
APTOIDE_HOST = "ws75.aptoide.com"

RUN_SEARCH = """\
const api = require(process.env.CLIENT_DIR);
const crypto = require('crypto');
(async () => {
  const found = await api.search(process.env.QUERY, 5);
  const bytes = found.length ? await api.download(found[0].downloadUrl) : Buffer.alloc(0);
  console.log(JSON.stringify({found, md5: crypto.createHash('md5').update(bytes).digest('hex')}));
})().catch((error) => { console.error(String(error)); process.exit(3); });
"""


@pytest.fixture(scope="module")
def js_clients() -> dict[str, Path]:
    fetch = runpy.run_path(str(ROOT / "scripts" / "fetch-js-clients"))["fetch"]
    try:
        return fetch()
    except (RuntimeError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        unavailable("the npm registry (scripts/fetch-js-clients)", str(error))


@pytest.fixture
def aptoide_pointed_at_us(tmp_path):
    """A live server whose public URL is https://ws75.aptoide.com, behind a TLS front on :443."""
    process, base = start_server(tmp_path / "data", tmp_path / "server.log", workers=1,
                                 extra_env={"APKDEPOT_PUBLIC_URL": f"https://{APTOIDE_HOST}"})
    ca, certificate, key = make_certificates(tmp_path, [APTOIDE_HOST])
    port = int(base.rsplit(":", 1)[1])
    try:
        with TlsFront(certificate, key, ("127.0.0.1", port)):
            yield base, ca
    except OSError as error:
        unavailable("port 443 on 127.0.0.1 (for the TLS front the npm clients reach)", str(error))
    finally:
        stop(process)


@needs_tool("node")
def test_npm_aptoide_api_searches_and_downloads(js_clients, aptoide_pointed_at_us, tmp_path):
    base, ca = aptoide_pointed_at_us
    listed = httpx.get(f"{base}/api/7/apps/get/store_name=demo").json()["datalist"]["list"]
    wanted = listed[0]
    (tmp_path / "resolver.js").write_text(NODE_RESOLVER)
    (tmp_path / "run.js").write_text(RUN_SEARCH)
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(ca), "POINTED_HOSTS": APTOIDE_HOST,
           "CLIENT_DIR": str(js_clients["aptoide-api"]), "QUERY": wanted["name"]}
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(proxy, None)
    run = subprocess.run(["node", "--require", str(tmp_path / "resolver.js"), str(tmp_path / "run.js")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    first = answer["found"][0]
    assert first == {
        "name": wanted["name"], "package": wanted["package"], "size": f"{wanted['size'] / 1024 / 1024:.2f}MB",
        "version": wanted["file"]["vername"], "downloads": wanted["stats"]["downloads"], "rating": 0,
        "icon": wanted["icon"], "downloadUrl": wanted["file"]["path"]}
    # Links come from the public URL, never from the connection the answer went out on.
    assert first["downloadUrl"].startswith(f"https://{APTOIDE_HOST}/repo/demo/apk/")
    # The client fetched the APK itself, through the pointed host name, byte for byte.
    local = base + first["downloadUrl"].removeprefix(f"https://{APTOIDE_HOST}")
    assert answer["md5"] == wanted["file"]["md5sum"] == hashlib.md5(httpx.get(local).content).hexdigest()
