"""Hostile APKs (made by tests/security/corpus.py at test time) are refused by
the inspector with their own reason, by the store with their own code, and
leave nothing behind. Where the attack is on signatures, Android's own
verifier (apksigner) is the oracle: it refuses the same files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from apkdepot.apk.info import ApkRejected
from apkdepot.apk.inspect import ZipLimits, inspect_apk, manifest_int, publish_problem
from apkdepot.apk.sandbox import InspectorPool, PoolSize, SandboxLimits, inspect_in_sandbox
from tests.catalog.test_publishing import snapshot
from tests.conftest import needs_tool
from tests.helpers import auth, create_store, fixture, flush, make_developer, upload
from tests.security import corpus
from apkdepot.catalog.publishing import inspect_upload as REAL_INSPECT_UPLOAD

pytestmark = needs_tool("aapt", "zipalign", "apksigner", "framework-res")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("hostile")
    return {case.name: corpus.build(case.name, out) for case in corpus.CASES}


def _reason(path: Path, limits: SandboxLimits = SandboxLimits()) -> str:
    with pytest.raises(ApkRejected) as caught:
        inspect_in_sandbox(path, limits)
    return caught.value.reason


@pytest.mark.parametrize("case", [c for c in corpus.CASES if c.reason not in ("bad_package",)], ids=lambda c: c.name)
def test_inspector_refuses(hostile, case):
    assert _reason(hostile[case.name]) == case.reason


def test_trailing_newline_package_is_refused_by_the_store_rules(hostile):
    info = inspect_in_sandbox(hostile["trailing_newline_package"])
    assert info.package == "org.apkdepot.nl\n"  # what the manifest really says
    assert publish_problem(info).reason == "bad_package"


@pytest.mark.parametrize("case", [c for c in corpus.CASES if c.apksigner_refuses], ids=lambda c: c.name)
def test_apksigner_refuses_them_too(hostile, case):
    result = subprocess.run(["apksigner", "verify", str(hostile[case.name])], capture_output=True, text=True)
    assert result.returncode != 0, result.stdout


@pytest.mark.parametrize("case", corpus.CASES, ids=lambda c: c.name)
def test_store_refuses_with_its_code_and_keeps_nothing(client, svc, hostile, case):
    owner = make_developer(svc, "owner@example.com", name="Owner")[1]
    create_store(client, owner)
    upload(client, owner, "shop", "alpha-1.apk")
    flush(client)
    before = snapshot(svc)
    with hostile[case.name].open("rb") as fh:
        response = client.post("/api/stores/shop/apks", files={"apk": ("x.apk", fh)}, headers=auth(owner))
    assert response.status_code == 422, response.text
    assert [e["code"] for e in response.json()["errors"]] == [case.code]
    flush(client)
    assert snapshot(svc) == before
    listed = client.get("/api/stores/shop/apks", headers=auth(owner)).json()["apks"]
    assert [(a["package"], a["version_code"]) for a in listed] == [("org.apkdepot.alpha", 1)]


def test_v1_only_signature_verifies_in_process_for_old_devices(tmp_path):
    # minSdkVersion 16, targetSdkVersion 28: devices below Android 7.0 know only
    # v1, and Android installs v1-only APKs targeting SDK < 30.
    path = corpus.v1_only_old_target(tmp_path)
    info = inspect_apk(path)
    assert info.signing_schemes == ("v1",)
    assert info.signer_sha256 == inspect_apk(fixture("alpha-1.apk")).signer_sha256  # re-signed with key a
    assert subprocess.run(["apksigner", "verify", str(path)], capture_output=True).returncode == 0


def test_v1_only_targeting_sdk_30_is_refused_as_android_does(tmp_path):
    path = corpus.v1_only(tmp_path)  # alpha-1: targetSdkVersion 30
    assert _reason(path) == "bad_signature"
    assert subprocess.run(["apksigner", "verify", str(path)], capture_output=True).returncode != 0


def test_v1_only_refusal_is_a_setting(hostile):
    path = hostile["v1_only_modern"]
    assert _reason(path) == "v1_only"
    info = inspect_in_sandbox(path, SandboxLimits(refuse_v1_only=False))
    assert info.signing_schemes == ("v1",)


def test_cpu_limit_stops_a_spinning_inspection_and_the_child_is_replaced(tmp_path):
    # About 6 MB of manifest elements: under the manifest cap, seconds of parser CPU.
    path = corpus.make_heavy_manifest(tmp_path, elements=60_000, name="spin.apk")
    pool = InspectorPool(SandboxLimits(cpu_seconds=1), PoolSize(workers=1, queue=0, files_per_worker=10))
    try:
        with pytest.raises(ApkRejected) as caught:
            pool.inspect(path)
        assert caught.value.reason == "too_complex"
        assert pool.children() == []  # the killed child is not reused
        assert pool.inspect(fixture("alpha-1.apk")).package == "org.apkdepot.alpha"
        assert pool.started == 2
        # Under a generous allowance the same file is fine: it was the limit, not the file.
        assert InspectorPool(SandboxLimits(cpu_seconds=60), PoolSize(1, 0, 1)).inspect(path).package == "org.apkdepot.heavy"
    finally:
        pool.close()


def test_manifest_cap_refuses_before_parsing(hostile):
    path = hostile["heavy_manifest"]
    with pytest.raises(ApkRejected) as caught:
        inspect_apk(path, ZipLimits(max_manifest_bytes=8 << 20))
    assert caught.value.reason == "too_complex"
    assert "AndroidManifest.xml" in caught.value.detail


@pytest.mark.parametrize("raw,expected", [
    ("1", 1), ("2147483647", 2147483647), ("0x10", 16), (None, None), ("", None),
    ("1_000", None), ("\u0661\u0662\u0663", None), ("\u00b2", None), (" 12", None), ("12\n", None),
    ("+5", None), ("2147483648", None), ("9" * 5000, None),
])
def test_manifest_integers_are_ascii_digits_only(raw, expected):
    assert manifest_int(raw, None) == expected


def test_full_queue_is_refused_at_once_with_retry_after(client, svc, monkeypatch):
    """While every inspector and queue place is taken, one more upload gets 503
    APK-16 with Retry-After at once, and nothing is stored."""
    import threading

    from apkdepot.catalog import publishing
    from tests.helpers import wait_for

    owner = make_developer(svc, "owner@example.com", name="Owner")[1]
    create_store(client, owner)
    monkeypatch.setattr(publishing, "inspect_upload", REAL_INSPECT_UPLOAD)  # no remembered answers here
    pool = svc.inspector
    release = threading.Event()
    # Children are handed out only when the test says so: every upload waits in the pool.
    pool._take = lambda: (release.wait(120), InspectorPool._take(pool))[1]
    places = pool.size.workers + pool.size.queue
    threads = [threading.Thread(target=pool.inspect, args=(fixture("alpha-1.apk"),)) for _ in range(places)]
    for t in threads:
        t.start()
    wait_for(lambda: pool._waiting == places, "every place in the pool to be taken")
    try:
        response = upload(client, owner, "shop", "beta-10.apk")
        assert response.status_code == 503
        assert [e["code"] for e in response.json()["errors"]] == ["APK-16"]
        assert int(response.headers["retry-after"]) >= 1
        assert client.get("/api/stores/shop/apks", headers=auth(owner)).json()["apks"] == []
    finally:
        release.set()
        for t in threads:
            t.join(120)
    assert pool._waiting == 0
    assert upload(client, owner, "shop", "beta-10.apk").status_code == 201


def test_uploads_per_developer_are_rate_limited(tmp_path, database_url, mailer):
    from litestar.testing import TestClient

    from apkdepot.app import create_app
    from apkdepot.services import build_services
    from tests.conftest import make_settings

    svc = build_services(make_settings(tmp_path, database_url, uploads_per_hour=2), mailer=mailer)
    try:
        with TestClient(create_app(services=svc), base_url="http://testserver.local") as client:
            owner = make_developer(svc, "owner@example.com")[1]
            other = make_developer(svc, "other@example.com")[1]
            create_store(client, owner)
            create_store(client, other, "theirs")
            assert upload(client, owner, "shop", "alpha-1.apk").status_code == 201
            assert upload(client, owner, "shop", "beta-10.apk").status_code == 201
            limited = upload(client, owner, "shop", "gamma-5.apk")
            assert limited.status_code == 429 and limited.json()["errors"][0]["code"] == "RATE-1"
            assert 0 < int(limited.headers["retry-after"]) <= 3600
            assert upload(client, other, "theirs", "gamma-5.apk").status_code == 201  # per developer
    finally:
        svc.close()
