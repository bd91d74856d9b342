"""F-Droid's own tooling (fdroidserver, from PyPI) against a live ApkDepot."""

from __future__ import annotations

import hashlib
import shutil

import httpx
import pytest

from tests.conftest import needs_tool
from tests.helpers import FIXTURES, wait_for
from tests.test_server import start_server

pytestmark = needs_tool("jarsigner")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    import fdroidserver.common

    fdroidserver.common.config = {"jarsigner": shutil.which("jarsigner")}
    tmp = tmp_path_factory.mktemp("fdroid")
    process, base = start_server(tmp / "data", tmp / "server.log", workers=1)
    passhash = hashlib.sha1(b"demo-pass1").hexdigest()
    token = httpx.post(base + "/webservices/2/checkUserCredentials",
                       data={"user": "demo@apkdepot.localhost", "passhash": passhash}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    # Older versions too: F-Droid lists every published version.
    for name in ("alpha-1.apk", "gamma-5.apk"):
        with (FIXTURES / name).open("rb") as fh:
            assert httpx.post(base + "/api/stores/demo/apks", files={"apk": (name, fh)}, headers=headers,
                              timeout=60).status_code == 201
    store = httpx.get(base + "/api/stores/demo", headers=headers).json()["store"]
    # Both uploads indexed: no build is left pending that could move the repo
    # between fetching entry.jar and index-v2.json (F-Droid names no version in between).
    wait_for(lambda: sum(len(p["versions"]) for p in httpx.get(base + "/fdroid/demo/repo/index-v2.json")
                         .json()["packages"].values()) == 5, "both uploads in index-v2.json")
    yield base, store["fdroid"], headers
    process.terminate()
    process.wait(timeout=20)


def wait_for_version(base: str, packages: int) -> None:

    wait_for(lambda: httpx.get(base + "/fdroid/demo/repo/entry.json").json()["index"]["numPackages"] == packages,
             f"entry.json to list {packages} packages")


def test_download_repo_index_v2_accepts_the_repo(live):
    import fdroidserver.index

    base, card, _ = live
    assert card["url"] == f"{base}/fdroid/demo/repo?fingerprint={card['fingerprint']}"
    wait_for_version(base, 3)
    index, _ = fdroidserver.index.download_repo_index_v2(card["url"])
    assert index["repo"]["address"] == f"{base}/fdroid/demo/repo"
    versions = {(p, v["manifest"]["versionCode"]): v for p, pkg in index["packages"].items() for v in pkg["versions"].values()}
    assert set(versions) == {("org.apkdepot.alpha", 1), ("org.apkdepot.alpha", 2), ("org.apkdepot.beta", 10),
                             ("org.apkdepot.gamma", 5), ("org.apkdepot.gamma", 6)}
    for (package, code), version in versions.items():
        name = {("org.apkdepot.alpha", 1): "alpha-1.apk", ("org.apkdepot.alpha", 2): "alpha-2.apk",
                ("org.apkdepot.beta", 10): "beta-10.apk", ("org.apkdepot.gamma", 5): "gamma-5.apk",
                ("org.apkdepot.gamma", 6): "gamma-6.apk"}[(package, code)]
        data = (FIXTURES / name).read_bytes()
        assert version["file"]["sha256"] == hashlib.sha256(data).hexdigest()
        assert version["file"]["size"] == len(data)
        served = httpx.get(base + "/fdroid/demo/repo" + version["file"]["name"])
        assert served.status_code == 200 and served.content == data


def test_a_wrong_fingerprint_is_refused(live):
    import fdroidserver.index
    from fdroidserver.exception import VerificationException

    base, card, _ = live
    with pytest.raises(VerificationException):
        fdroidserver.index.download_repo_index_v2(f"{base}/fdroid/demo/repo?fingerprint={'AB' * 32}")


def test_download_repo_index_v1_accepts_index_v1_jar(live):
    import fdroidserver.index

    base, card, _ = live
    wait_for_version(base, 3)
    index, _ = fdroidserver.index.download_repo_index_v1(card["url"])
    assert index["repo"]["fingerprint"] == card["fingerprint"]
    assert {app["packageName"] for app in index["apps"]} == {"org.apkdepot.alpha", "org.apkdepot.beta", "org.apkdepot.gamma"}
    assert sorted(v["versionCode"] for v in index["packages"]["org.apkdepot.alpha"]) == [1, 2]


def test_private_stores_are_not_exported(live):
    base, _, headers = live
    created = httpx.post(base + "/api/stores", json={"name": "secret-shop", "private": True, "basic_user": "u",
                                                     "basic_password": "password1"}, headers=headers)
    assert created.status_code == 201 and "fdroid" not in created.json()["store"]
    assert httpx.get(base + "/fdroid/secret-shop/repo/entry.jar").status_code == 404
    assert httpx.get(base + "/fdroid/nothing/repo/entry.jar").status_code == 404
