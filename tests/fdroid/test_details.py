"""What F-Droid clients read beyond the basics, from a real-world APK we did
not build (scripts/fetch-real-apks): usesPermission[].maxSdkVersion,
usesPermissionSdk23 and manifest.features as fdroidserver writes them
(its tests/repo/index-v2.json), the repo block's categories and icon, the same
facts in index-v1, and the old index.xml that Obtainium reads from
third-party repositories."""

from __future__ import annotations

import io
import json
import runpy
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from apkdepot.apk.inspect import inspect_apk
from tests.conftest import needs_tool
from tests.helpers import auth, create_store, flush, make_developer, upload

ROOT = Path(__file__).resolve().parents[2]
REAL = "settings_apk-debug.apk"


@pytest.fixture
def published(client, svc):
    path = {p.name: p for p in runpy.run_path(str(ROOT / "scripts" / "fetch-real-apks"))["fetch"]()}[REAL]
    token = make_developer(svc)[1]
    create_store(client, token, "shop")
    with path.open("rb") as fh:
        response = client.post("/api/stores/shop/apks", files={"apk": (REAL, fh, "application/octet-stream")},
                               data={"category": "Tools"}, headers=auth(token))
    assert response.status_code == 201, response.text
    assert upload(client, token, "shop", "gamma-5.apk", category="Games").status_code == 201
    flush(client)
    return inspect_apk(path)


@needs_tool("npm")
def test_index_v2_carries_max_sdk_features_and_categories(client, published):
    index = client.get("/fdroid/shop/repo/index-v2.json").json()
    assert index["repo"]["categories"] == {"Games": {"name": {"en-US": "Games"}}, "Tools": {"name": {"en-US": "Tools"}}}
    (version,) = index["packages"][published.package]["versions"].values()
    manifest = version["manifest"]
    expected = [{"name": n, **({"maxSdkVersion": m} if m is not None else {})}
                for n, m in published.details["uses_permission"]]
    assert manifest["usesPermission"] == expected
    assert {"name": "android.permission.BLUETOOTH", "maxSdkVersion": 30} in manifest["usesPermission"]
    assert manifest["features"] == [{"name": n} for n in published.details["features"]] != []
    assert "usesPermissionSdk23" not in manifest  # this APK declares none


@needs_tool("npm")
def test_index_v1_and_index_xml_carry_the_same_facts(client, published):
    with zipfile.ZipFile(io.BytesIO(client.get("/fdroid/shop/repo/index-v1.jar").content)) as jar:
        v1 = json.loads(jar.read("index-v1.json"))
    (package,) = v1["packages"][published.package]
    assert package["uses-permission"] == published.details["uses_permission"]
    assert package["features"] == published.details["features"]
    xml = client.get("/fdroid/shop/repo/index.xml")
    assert xml.status_code == 200 and xml.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(xml.content)
    assert root.tag == "fdroid" and root.find("repo").get("url").endswith("/fdroid/shop/repo")
    apps = {a.get("id"): a for a in root.findall("application")}
    assert set(apps) == {published.package, "org.apkdepot.gamma"}
    app = apps[published.package]
    assert app.findtext("category") == "Tools" and app.findtext("marketvercode") == str(published.version_code)
    (version,) = app.findall("package")
    assert version.findtext("versioncode") == str(published.version_code)
    assert version.find("hash").get("type") == "sha256" and version.findtext("hash") == published.sha256
    assert "BLUETOOTH" in version.findtext("permissions").split(",")
    assert client.get(f"/fdroid/shop/repo/{version.findtext('apkname')}").status_code == 200
    # Cached like the other files: a second ask is a 304 with its ETag.
    again = client.get("/fdroid/shop/repo/index.xml", headers={"If-None-Match": xml.headers["etag"]})
    assert again.status_code == 304


def test_repo_icon_is_the_store_avatar(client, svc):
    token = make_developer(svc)[1]
    create_store(client, token, "shop")
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
           b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")
    assert client.put("/api/stores/shop/avatar", content=png, headers=auth(token)).status_code == 200
    upload(client, token, "shop", "alpha-1.apk")
    flush(client)
    repo = client.get("/fdroid/shop/repo/index-v2.json").json()["repo"]
    assert repo["icon"]["en-US"]["name"] == "/icon.png"
    assert client.get("/fdroid/shop/repo/icon.png").content == png
