"""Publishing into stores and the store index, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import re
import time
from xml.etree import ElementTree
from pathlib import Path

import pytest
import sqlalchemy as sa

from apkdepot.db.schema import apks, index_versions
from tests.conftest import BACKENDS
from tests.helpers import auth, create_store, fixture, flush, index_entries_of, make_developer, upload

pytestmark = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
GOLDEN = Path(__file__).parent.parent / "fixtures" / "golden"


@pytest.fixture
def owner(svc):
    return make_developer(svc, "owner@example.com", name="Owner")[1]


@pytest.fixture
def other(svc):
    return make_developer(svc, "other@example.com", name="Other")[1]


def snapshot(svc) -> dict:
    """Everything a publish could leave behind."""
    with svc.db.read() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(apks)).scalar()
        versions = conn.execute(sa.select(sa.func.count()).select_from(index_versions)).scalar()
    blob_root = svc.settings.blob_dir
    blobs = sorted(p.relative_to(blob_root).as_posix() for p in blob_root.rglob("*") if p.is_file()
                   if not p.relative_to(blob_root).as_posix().startswith("indexes/"))
    tmp = svc.settings.data_dir / "tmp"
    leftovers = sorted(p.name for p in tmp.iterdir()) if tmp.exists() else []
    return {"rows": rows, "versions": versions, "blobs": blobs, "tmp": leftovers}


def test_store_names_follow_the_sign_up_rule(client, owner):
    bad = client.post("/api/stores", json={"name": "my store"}, headers=auth(owner))
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"code": "REPO-3", "field": "name",
                                     "msg": "Use only letters, numbers and/or dashes. No spaces please!"}]
    pt = client.post("/api/stores", json={"name": "loja_1"}, headers={**auth(owner), "Accept-Language": "pt-BR"})
    assert pt.json()["errors"][0]["msg"] == "Use apenas letras, números e/ou traços. Nada de espaços, por favor!"
    for name in ("-lead", "trail-", "x" * 51, ""):
        assert client.post("/api/stores", json={"name": name}, headers=auth(owner)).status_code == 422
    create_store(client, owner, "My-Shop")
    taken = client.post("/api/stores", json={"name": "my-shop"}, headers=auth(owner))
    assert taken.status_code == 409 and taken.json()["errors"][0]["code"] == "REPO-2"


def test_store_settings_and_ownership(client, owner, other):
    create_store(client, owner, "shop", description="first")
    changed = client.patch("/api/stores/shop", json={"description": "second", "theme": "dark"}, headers=auth(owner))
    assert changed.json()["store"]["description"] == "second" and changed.json()["store"]["theme"] == "dark"
    assert client.patch("/api/stores/shop", json={"theme": "neon"}, headers=auth(owner)).json()["errors"][0]["code"] == "REPO-4"
    for method, path in (("patch", "/api/stores/shop"), ("get", "/api/stores/shop"), ("get", "/api/stores/shop/apks"),
                         ("delete", "/api/stores/shop/apps/org.apkdepot.alpha")):
        kwargs = {"json": {"description": "mine now"}} if method == "patch" else {}
        response = getattr(client, method)(path, headers=auth(other), **kwargs)
        assert response.status_code == 403 and response.json()["errors"][0]["code"] == "REPO-1", (method, path)
    denied = upload(client, other, "shop", "alpha-1.apk")
    assert denied.status_code == 403 and denied.json()["errors"][0]["code"] == "REPO-1"
    assert client.get("/api/stores", headers=auth(other)).json()["stores"] == []
    missing = client.get("/api/stores/nope", headers=auth(owner))
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "IARG-1"


def test_publish_list_and_index(client, svc, owner):
    create_store(client, owner)
    first = upload(client, owner, "shop", "alpha-1.apk", category="Tools")
    assert first.status_code == 201, first.text
    apk = first.json()["apk"]
    assert apk["package"] == "org.apkdepot.alpha" and apk["version_code"] == 1
    assert apk["url"] == "http://testserver.local/repo/shop/apk/org.apkdepot.alpha_1.apk"
    again = upload(client, owner, "shop", "alpha-1.apk")
    assert again.status_code == 200 and again.json()["created"] is False
    assert upload(client, owner, "shop", "alpha-2.apk").status_code == 201
    assert upload(client, owner, "shop", "beta-10.apk").status_code == 201
    flush(client)
    listed = client.get("/api/stores/shop/apks", headers=auth(owner)).json()["apks"]
    assert [(a["package"], a["version_code"]) for a in listed] == [
        ("org.apkdepot.alpha", 2), ("org.apkdepot.alpha", 1), ("org.apkdepot.beta", 10)]
    index = client.get("/repo/shop/info.xml", headers={"Accept-Encoding": "identity"})
    # The index lists each app's newest version only.
    assert index_entries_of(index.content) == {"org.apkdepot.alpha": 2, "org.apkdepot.beta": 10}


def test_pending_changes_become_one_version(client, svc, owner):
    create_store(client, owner)
    for name in ("alpha-1.apk", "beta-10.apk", "gamma-5.apk"):
        upload(client, owner, "shop", name)
    flush(client)
    with svc.db.read() as conn:
        assert conn.execute(sa.select(index_versions.c.version).order_by(index_versions.c.version)).scalars().all() == [1, 2]


def test_burst_within_the_coalescing_window_is_one_version_under_the_maintenance_thread(tmp_path, database_url):
    """The real thread and the real APKDEPOT_INDEX_COALESCE_MS: a burst of
    publishes faster than the window is one version; a publish after the
    window has passed is another."""
    from litestar.testing import TestClient

    from apkdepot.app import create_app
    from apkdepot.services import build_services
    from tests.conftest import RecordingMailer, make_settings
    from tests.helpers import wait_for

    # A window far longer than three uploads take (tens of milliseconds here).
    window_ms = 5000
    svc = build_services(make_settings(tmp_path, database_url, background=True, index_coalesce_ms=window_ms),
                         mailer=RecordingMailer())
    _, token = make_developer(svc)

    def versions_of_shop() -> list[int]:
        with svc.db.read() as conn:
            return conn.execute(sa.select(index_versions.c.version).order_by(index_versions.c.version)).scalars().all()

    try:
        with TestClient(create_app(services=svc), base_url="http://testserver.local") as client:
            create_store(client, token)
            started = time.monotonic()
            for name in ("alpha-1.apk", "beta-10.apk", "gamma-5.apk"):
                assert upload(client, token, "shop", name).status_code == 201
            burst_ms = (time.monotonic() - started) * 1000
            assert burst_ms < window_ms, f"the burst itself took {burst_ms:.0f} ms: not a burst within the window"
            wait_for(lambda: versions_of_shop() == [1, 2], "the burst to become version 2")
            burst = {"org.apkdepot.alpha": 1, "org.apkdepot.beta": 10, "org.apkdepot.gamma": 5}
            # Built is not yet served: the process's cache follows within its probe interval.
            wait_for(lambda: index_entries_of(client.get("/repo/shop/info.xml").content) == burst,
                     "version 2 to be served")
            assert versions_of_shop() == [1, 2]
            assert upload(client, token, "shop", "gamma-6.apk").status_code == 201
            wait_for(lambda: versions_of_shop() == [1, 2, 3], "the later publish to become version 3")
    finally:
        svc.close()


def test_etag_md5_and_version_table_agree(client, svc, owner):
    create_store(client, owner)
    upload(client, owner, "shop", "gamma-5.apk")
    flush(client)
    response = client.get("/repo/shop/info.xml", headers={"Accept-Encoding": "identity"})
    with svc.db.read() as conn:
        recorded = conn.execute(sa.select(index_versions.c.md5).where(index_versions.c.version == 2)).scalar()
    assert hashlib.md5(response.content).hexdigest() == response.headers["etag"].strip('"') == recorded
    assert response.headers["content-type"].startswith("application/xml")
    assert client.get("/repo/shop/info.xml", headers={"If-None-Match": f'"{recorded}"'}).status_code == 304
    packed = client.get("/repo/shop/info.xml", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.content == response.content  # httpx undoes the gzip
    raw = client.get("/repo/shop/info.xml", headers={"Accept-Encoding": "gzip"}, extensions={})
    assert int(raw.headers["content-length"]) < len(response.content)
    head = client.head("/repo/shop/info.xml", headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(response.content)) and head.headers["etag"] == f'"{recorded}"'



def test_golden_info_xml(client, owner):
    create_store(client, owner, "golden")
    for name in ("alpha-2.apk", "beta-10.apk", "gamma-6.apk"):
        upload(client, owner, "golden", name, category="Tools" if name.startswith("beta") else "")
    flush(client)
    body = client.get("/repo/golden/info.xml", headers={"Accept-Encoding": "identity"}).text
    normalised = re.sub(r"<date>\d{4}-\d{2}-\d{2}</date>", "<date>DATE</date>", body)
    assert normalised == (GOLDEN / "info.xml").read_text()


def test_deltas_current_old_and_unknown_hashes(client, owner):
    create_store(client, owner)
    upload(client, owner, "shop", "alpha-1.apk")
    upload(client, owner, "shop", "gamma-5.apk")
    flush(client)
    v2 = client.get("/repo/shop/info.xml").headers["etag"].strip('"').removesuffix("-gzip")
    upload(client, owner, "shop", "alpha-2.apk")
    upload(client, owner, "shop", "beta-10.apk")
    client.delete("/api/stores/shop/apps/org.apkdepot.gamma", headers=auth(owner))
    flush(client)
    current = client.get("/repo/shop/info.xml", headers={"Accept-Encoding": "identity"})
    v3 = current.headers["etag"].strip('"')

    delta = client.get("/repo/shop/info.xml", params={"hash": f"{v2}:pt_BR"}).text
    assert f"<delta>{v3}</delta></repository>" in delta
    assert "<apkid>org.apkdepot.beta</apkid><ver>2.0-beta</ver>" in delta
    assert "<apkid>org.apkdepot.alpha</apkid><ver>1.1</ver>" in delta
    assert "<package><apkid>org.apkdepot.alpha</apkid><vercode>1</vercode><del/></package>" in delta
    assert "<package><apkid>org.apkdepot.gamma</apkid><vercode>5</vercode><del/></package>" in delta
    assert delta.count("<package>") == 4

    same = client.get("/repo/shop/info.xml", params={"hash": v3}).text
    assert f"<delta>{v3}</delta>" in same and "<package>" not in same
    unknown = client.get("/repo/shop/info.xml", params={"hash": "0" * 32}, headers={"Accept-Encoding": "identity"})
    assert unknown.content == current.content
    garbage = client.get("/repo/shop/info.xml", params={"hash": "../../etc/passwd"}, headers={"Accept-Encoding": "identity"})
    assert garbage.content == current.content


def test_other_stores_hash_is_unknown(client, owner):
    create_store(client, owner, "one")
    create_store(client, owner, "two")
    one = client.get("/repo/one/info.xml").headers["etag"].strip('"').removesuffix("-gzip")
    body = client.get("/repo/two/info.xml", params={"hash": one}).text
    assert "<delta>" not in body


def test_remove_version_brings_the_previous_one_back(client, owner):
    create_store(client, owner)
    upload(client, owner, "shop", "alpha-1.apk")
    upload(client, owner, "shop", "alpha-2.apk")
    flush(client)
    assert client.delete("/api/stores/shop/apks/org.apkdepot.alpha/2", headers=auth(owner)).json() == {"status": "OK"}
    flush(client)
    assert index_entries_of(client.get("/repo/shop/info.xml").content) == {"org.apkdepot.alpha": 1}
    missing = client.delete("/api/stores/shop/apks/org.apkdepot.alpha/2", headers=auth(owner))
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "APK-1"
    assert client.get("/repo/shop/apk/org.apkdepot.alpha_2.apk").status_code == 404
    assert client.delete("/api/stores/shop/apps/org.apkdepot.alpha", headers=auth(owner)).json()["removed_versions"] == 1
    flush(client)
    assert index_entries_of(client.get("/repo/shop/info.xml").content) == {}


def crafted(case: str, tmp_path: Path) -> bytes:
    """Hostile or broken files, made on the spot."""
    import io
    import zipfile

    buffer = io.BytesIO()
    if case == "not_zip":
        return b"garbage" * 100
    if case == "truncated":
        return fixture("beta-10.apk").read_bytes()[:5000]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        if case == "no_manifest":
            zf.writestr("classes.dex", b"dex\n035\x00")
        elif case == "garbled_manifest":
            zf.writestr("AndroidManifest.xml", b"\x03\x00\x08\x00" + bytes(range(256)) * 8)
        elif case == "zip_bomb":
            with zf.open("res/raw/zeros.bin", "w") as out:
                for _ in range(64):
                    out.write(b"\x00" * (1 << 20))
        elif case == "bad_signature":
            with zipfile.ZipFile(fixture("alpha-2.apk")) as src:
                for item in src.infolist():
                    data = src.read(item)
                    zf.writestr(item.filename, data + b"tampered" if item.filename.endswith(".png") else data)
    return buffer.getvalue()


@pytest.mark.parametrize("case,code,status", [
    ("unsigned", "APK-4", 422),
    ("not_zip", "APK-2", 422),
    ("truncated", "APK-2", 422),
    ("no_manifest", "APK-3", 422),
    ("garbled_manifest", "APK-3", 422),
    ("zip_bomb", "APK-7", 422),
    ("bad_signature", "APK-11", 422),
    ("bad_package", "APK-8", 422),
    ("conflict", "APK-9", 409),
    ("other_key", "APK-10", 409),
    ("bad_meta", "REPO-4", 422),
])
def test_rejections_store_nothing(client, svc, owner, tmp_path, case, code, status):
    create_store(client, owner)
    upload(client, owner, "shop", "alpha-1.apk")
    flush(client)
    before = snapshot(svc)
    data = {}
    name = {"unsigned": "unsigned.apk", "conflict": "alpha-1-rebuilt.apk", "other_key": "alpha-3-otherkey.apk",
            "bad_package": "bad-package.apk", "bad_meta": "beta-10.apk"}.get(case)
    if case == "bad_meta":
        data = {"apk_website": "not a url"}
    if name is None:
        response = client.post("/api/stores/shop/apks", files={"apk": ("x.apk", crafted(case, tmp_path))},
                               headers=auth(owner))
    if name:
        response = upload(client, owner, "shop", name, **data)
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["code"] == code
    flush(client)
    assert snapshot(svc) == before


def test_too_large(client, svc, owner):
    create_store(client, owner)
    object.__setattr__(svc.settings, "max_apk_bytes", 10_000)
    before = snapshot(svc)
    response = upload(client, owner, "shop", "alpha-2.apk")  # 17 KB
    assert response.status_code == 413 and response.json()["errors"][0]["code"] == "APK-6"
    assert snapshot(svc) == before


def test_missing_file(client, owner):
    create_store(client, owner)
    response = client.post("/api/stores/shop/apks", data={"description": "x"}, headers=auth(owner))
    assert response.json()["errors"][0]["code"] == "MARG-5"


def test_md5_first_deduplication(client, svc, owner, other):
    create_store(client, owner, "first")
    create_store(client, owner, "second")
    md5 = hashlib.md5(fixture("gamma-5.apk").read_bytes()).hexdigest()
    unknown = client.post("/api/stores/second/apks", json={"apk_md5sum": md5}, headers=auth(owner))
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["code"] == "APK-5"
    upload(client, owner, "first", "gamma-5.apk")
    blobs = snapshot(svc)["blobs"]
    known = client.post("/api/stores/second/apks", json={"apk_md5sum": md5.upper()}, headers=auth(owner))
    assert known.status_code == 201 and known.json()["apk"]["md5"] == md5
    assert snapshot(svc)["blobs"] == blobs  # nothing uploaded twice
    # Another developer cannot obtain the file by knowing its MD5.
    create_store(client, other, "thief")
    stolen = client.post("/api/stores/thief/apks", json={"apk_md5sum": md5}, headers=auth(other))
    assert stolen.json()["errors"][0]["code"] == "APK-5"
    bad = client.post("/api/stores/second/apks", json={"apk_md5sum": "xyz"}, headers=auth(owner))
    assert bad.json()["errors"][0]["code"] == "APK-13"


@pytest.mark.parametrize("generation", ["2", "3"])
def test_upload_app_to_repo_web_service(client, owner, generation):
    create_store(client, owner)
    md5 = hashlib.md5(fixture("beta-10.apk").read_bytes()).hexdigest()
    first = client.post(f"/webservices/{generation}/uploadAppToRepo",
                        data={"token": owner, "repo": "shop", "apk_md5sum": md5, "mode": "xml"}).text
    assert "<code>APK-5</code>" in first
    with fixture("beta-10.apk").open("rb") as fh:
        body = client.post(f"/webservices/{generation}/uploadAppToRepo", files={"apk": ("b.apk", fh)},
                           data={"token": owner, "repo": "shop", "description": "Beta app"}).json()
    assert body["status"] == "OK"
    assert body["info"]["url"] == "http://testserver.local/repo/shop/apk/org.apkdepot.beta_10.apk"
    assert body["info"]["iconUrl"] == "http://testserver.local/repo/shop/icons/org.apkdepot.beta_10.png"
    missing = client.post(f"/webservices/{generation}/uploadAppToRepo", data={"mode": "json"}).json()
    assert [e["code"] for e in missing["errors"]] == ["MARG-200", "MARG-1"]
    with fixture("unsigned.apk").open("rb") as fh:
        unsigned = client.post(f"/webservices/{generation}/uploadAppToRepo", files={"apk": ("u.apk", fh)},
                               data={"token": owner, "repo": "shop"}).json()
    assert unsigned["errors"][0]["code"] == "APK-4"
    nowhere = client.post(f"/webservices/{generation}/uploadAppToRepo", data={"token": owner, "repo": "nope", "apk_md5sum": md5}).json()
    assert nowhere["errors"][0]["code"] == "IARG-1"


def test_downloads_ranges_and_counts(client, svc, owner):
    create_store(client, owner)
    upload(client, owner, "shop", "alpha-2.apk")
    flush(client)
    data = fixture("alpha-2.apk").read_bytes()
    url = "/repo/shop/apk/org.apkdepot.alpha_2.apk"
    whole = client.get(url)
    assert whole.content == data
    assert whole.headers["content-type"] == "application/vnd.android.package-archive"
    assert whole.headers["content-length"] == str(len(data)) and whole.headers["accept-ranges"] == "bytes"
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    rest = client.get(url, headers={"Range": "bytes=16000-"})
    assert rest.content == data[16000:]
    suffix = client.get(url, headers={"Range": "bytes=-10"})
    assert suffix.content == data[-10:]
    bad = client.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{len(data)}"
    head = client.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(data))
    icon = client.get("/repo/shop/icons/org.apkdepot.alpha_2.png")
    assert icon.headers["content-type"] == "image/png" and icon.content.startswith(b"\x89PNG")
    assert client.get("/repo/shop/apk/../../secret.key").status_code == 404
    assert client.get("/repo/shop/apk/nothing.apk").status_code == 404
    assert client.get("/repo/nostore/apk/x.apk").status_code == 404
    flush(client)  # counts written; the next index version carries them
    upload(client, owner, "shop", "gamma-5.apk")
    flush(client)
    index = client.get("/repo/shop/info.xml").text
    # two whole downloads (GET, then a range from byte 0 would count too; 100-199 and tails do not)
    entries = {p.findtext("apkid"): p.findtext("dwn") for p in ElementTree.fromstring(index).findall("package")}
    assert entries["org.apkdepot.alpha"] == "1"
    assert entries["org.apkdepot.gamma"] == "0"


def test_private_store_needs_basic_credentials(client, owner):
    create_store(client, owner, "secret", private=True, basic_user="team", basic_password="hunter22")
    upload(client, owner, "secret", "gamma-5.apk")
    flush(client)
    refused = client.get("/repo/secret/info.xml")
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith('Basic realm="secret"')
    assert client.get("/repo/secret/info.xml", auth=("team", "wrong-pass")).status_code == 401
    assert client.get("/repo/secret/apk/org.apkdepot.gamma_5.apk").status_code == 401
    ok = client.get("/repo/secret/info.xml", auth=("team", "hunter22"))
    assert ok.status_code == 200 and "org.apkdepot.gamma" in ok.text
    assert client.get("/repo/secret/apk/org.apkdepot.gamma_5.apk", auth=("team", "hunter22")).status_code == 200
    needs = client.post("/api/stores", json={"name": "nocreds", "private": True}, headers=auth(owner))
    assert needs.json()["errors"][0]["code"] == "REPO-5"


def test_avatar(client, owner):
    create_store(client, owner)
    png = fixture("alpha-1.apk").read_bytes()
    assert client.put("/api/stores/shop/avatar", content=png, headers=auth(owner)).json()["errors"][0]["code"] == "REPO-6"
    image = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    stored = client.put("/api/stores/shop/avatar", content=image, headers=auth(owner))
    assert stored.json()["store"]["has_avatar"] is True
    served = client.get("/repo/shop/avatar")
    assert served.content == image and served.headers["content-type"] == "image/png"


def test_the_longest_store_name_gets_its_signing_key(client, owner):
    name = "a" * 24 + "-" + "b" * 25  # 50 characters, the longest allowed
    store = create_store(client, owner, name)
    assert store["name"] == name
    assert client.get(f"/api/stores/{name}", headers=auth(owner)).json()["store"]["fdroid"]["fingerprint"]
    assert client.post("/api/stores", json={"name": "c" * 51}, headers=auth(owner)).status_code == 422
