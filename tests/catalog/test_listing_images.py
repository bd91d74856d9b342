"""Listing images: uploads decoded in the inspection worker, their checks, and
every protocol that shows them once the next index version is built."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zipfile
import zlib

import pytest
from PIL import Image

from apkdepot.apk.images import ImageLimits, ImageRejected, check_dimensions
from tests.conftest import BACKENDS
from tests.helpers import auth, create_store, flush, make_developer, upload
from tests.portal.test_pages import log_in

ON_EVERY_DATABASE = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)

PACKAGE = "org.apkdepot.alpha"
IMAGES = f"/api/stores/shop/apps/{PACKAGE}/listing/images"
LISTING = f"/api/stores/shop/apps/{PACKAGE}/listing"


def image_bytes(size=(540, 960), fmt="PNG", color=(11, 110, 79)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int, pixels: bytes = b"\0" * 1000) -> bytes:
    """A PNG whose header says one size and whose stream holds ``pixels``."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(pixels))
            + _chunk(b"IEND", b""))


def send(client, token, data: bytes, kind="phone", locale="en-US", path=IMAGES, filename="shot.png"):
    return client.post(path, files={"image": (filename, data, "application/octet-stream")},
                       data={"kind": kind, "locale": locale}, headers=auth(token))


@pytest.fixture
def owner(client, svc):
    token = make_developer(svc, "owner@example.com", name="Owner")[1]
    create_store(client, token)
    assert upload(client, token, "shop", "alpha-1.apk").status_code == 201
    flush(client)
    return token


@ON_EVERY_DATABASE
def test_images_reach_every_protocol_after_the_next_version(client, owner):
    first, second = image_bytes(), image_bytes((960, 540), "JPEG", (200, 30, 30))
    portuguese, feature = image_bytes((400, 800), "WEBP"), image_bytes((1024, 500))
    added = send(client, owner, first)
    assert added.status_code == 201, added.text
    image = added.json()["image"]
    assert image["name"] == hashlib.sha256(first).hexdigest() + ".png"
    assert (image["width"], image["height"], image["size"], image["media_type"]) == (540, 960, len(first), "image/png")
    assert send(client, owner, second).status_code == 201
    assert send(client, owner, portuguese, locale="pt_BR").status_code == 201
    assert send(client, owner, feature, kind="feature").status_code == 201
    listing = client.get(LISTING, headers=auth(owner)).json()["listing"]
    english = [i["name"] for i in listing["screenshots"]["en-US"]]
    assert english == [image["name"], hashlib.sha256(second).hexdigest() + ".jpg"]
    assert listing["screenshots"]["pt-BR"][0]["media_type"] == "image/webp"
    assert listing["feature_graphic"]["en-US"]["width"] == 1024

    before = client.get("/fdroid/shop/repo/index-v2.json").json()["packages"][PACKAGE]["metadata"]
    assert "screenshots" not in before  # not before the next version
    flush(client)

    metadata = client.get("/fdroid/shop/repo/index-v2.json").json()["packages"][PACKAGE]["metadata"]
    phone = metadata["screenshots"]["phone"]
    assert [f["name"] for f in phone["en-US"]] == [f"/{PACKAGE}/en-US/phoneScreenshots/{n}" for n in english]
    assert phone["en-US"][0] == {"name": f"/{PACKAGE}/en-US/phoneScreenshots/{english[0]}",
                                 "sha256": hashlib.sha256(first).hexdigest(), "size": len(first)}
    graphic = metadata["featureGraphic"]["en-US"]
    for described, data in ((phone["en-US"][0], first), (phone["en-US"][1], second), (graphic, feature),
                            (phone["pt-BR"][0], portuguese)):
        served = client.get(f"/fdroid/shop/repo{described['name']}")
        assert served.status_code == 200 and served.content == data
        assert hashlib.sha256(served.content).hexdigest() == described["sha256"]
    with zipfile.ZipFile(io.BytesIO(client.get("/fdroid/shop/repo/index-v1.jar").content)) as jar:
        v1 = next(a for a in json.loads(jar.read("index-v1.json"))["apps"] if a["packageName"] == PACKAGE)
    assert v1["localized"]["en-US"]["phoneScreenshots"] == english
    assert v1["localized"]["en-US"]["featureGraphic"] == graphic["name"].rsplit("/", 1)[1]
    # index-v1 readers rebuild the address from package, locale and file name.
    assert client.get(f"/fdroid/shop/repo/{PACKAGE}/en-US/{v1['localized']['en-US']['featureGraphic']}").content == feature

    meta = client.get(f"/api/7/app/getMeta/package_name={PACKAGE}/store_name=shop").json()["data"]
    shots = meta["media"]["screenshots"]
    assert [(s["width"], s["height"]) for s in shots] == [(540, 960), (960, 540)]
    assert client.get(shots[0]["url"].replace("http://testserver.local", "")).content == first
    assert client.get(meta["graphic"].replace("http://testserver.local", "")).content == feature
    in_portuguese = client.get(f"/api/7/app/getMeta/package_name={PACKAGE}/store_name=shop/lang=pt_BR").json()["data"]
    assert [(s["width"], s["height"]) for s in in_portuguese["media"]["screenshots"]] == [(400, 800)]

    info = client.get(f"/webservices/2/getApkInfo/shop/{PACKAGE}/json", params={"token": owner}).json()
    assert [s["orient"] for s in info["media"]["sshots_hd"]] == ["portrait", "landscape"]
    assert info["media"]["sshots"] == [s["path"] for s in info["media"]["sshots_hd"]]
    # The Aptoide apps' thumbnail address: thumbs/mobile/ before the last part.
    url = info["media"]["sshots_hd"][0]["path"].replace("http://testserver.local", "")
    head, _, last = url.rpartition("/")
    assert client.get(f"{head}/thumbs/mobile/{last}").content == first

    page = client.get(f"/stores/shop/{PACKAGE}").text
    assert page.count('loading="lazy"') >= 2 and f"/repo/shop/images/{PACKAGE}/{english[0]}" in page


@ON_EVERY_DATABASE
def test_a_listing_put_reorders_and_drops_images_by_name(client, owner):
    names = [send(client, owner, image_bytes(color=(i, i, i))).json()["image"]["name"] for i in range(3)]
    listing = client.get(LISTING, headers=auth(owner)).json()["listing"]
    listing["screenshots"]["en-US"] = list(reversed(listing["screenshots"]["en-US"]))[:2]  # objects, as GET gave
    saved = client.put(LISTING, json=listing, headers=auth(owner))
    assert saved.status_code == 200, saved.text
    assert [i["name"] for i in saved.json()["listing"]["screenshots"]["en-US"]] == [names[2], names[1]]
    by_name = client.put(LISTING, json={"screenshots": {"en-US": [names[0]]}}, headers=auth(owner))
    assert by_name.json()["listing"]["screenshots"]["en-US"][0]["width"] == 540  # facts filled in
    unknown = client.put(LISTING, json={"screenshots": {"en-US": ["f" * 64 + ".png"]}}, headers=auth(owner))
    assert unknown.status_code == 422
    assert [(e["code"], e["field"]) for e in unknown.json()["errors"]] == [("LIST-10", "screenshots.en-US.0")]
    for bad, field in (({"screenshots": {"en-US": ["../../etc/passwd"]}}, "screenshots.en-US.0"),
                       ({"screenshots": {"en-US": [names[0], names[0]]}}, "screenshots.en-US"),
                       ({"screenshots": {"en-US": names[0]}}, "screenshots.en-US"),
                       ({"feature_graphic": {"xx_bad_tag": names[0]}}, "feature_graphic.xx_bad_tag"),
                       ({"screenshots": {"en-US": [names[0]] * 9}}, "screenshots.en-US")):
        refused = client.put(LISTING, json=bad, headers=auth(owner))
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field, bad
    assert [i["name"] for i in client.get(LISTING, headers=auth(owner)).json()["listing"]["screenshots"]["en-US"]] \
        == [names[0]]


@ON_EVERY_DATABASE
@pytest.mark.parametrize("data, detail", [
    (image_bytes(fmt="GIF"), "not a PNG, JPEG or WebP"),
    (b"hello, not an image at all", "not a PNG, JPEG or WebP"),
    (image_bytes()[:400], "cannot be decoded"),
    (png_claiming(60000, 60000), "too large"),
    (png_claiming(3000, 3000), "cannot be decoded"),  # a header promising more pixels than its stream holds
    (image_bytes((100, 100)), "too small"),
    (image_bytes((2000, 400)), "too narrow"),
])
def test_images_that_cannot_be_used_are_refused_and_change_nothing(client, owner, data, detail):
    refused = send(client, owner, data)
    assert refused.status_code == 422, refused.text
    error = refused.json()["errors"][0]
    assert error["code"] == "LIST-9" and error["field"] == "image" and detail in error["msg"]
    assert client.get(LISTING, headers=auth(owner)).json()["listing"]["screenshots"] == {}


@ON_EVERY_DATABASE
def test_bad_upload_requests(client, owner, svc):
    assert send(client, owner, image_bytes(), kind="tablet").json()["errors"][0]["code"] == "LIST-1"
    assert send(client, owner, image_bytes(), locale="no such").json()["errors"][0]["code"] == "LIST-4"
    missing = client.post(IMAGES, data={"kind": "phone"}, headers=auth(owner))
    assert missing.status_code == 400 and missing.json()["errors"][0]["code"] == "LIST-12"
    huge = send(client, owner, b"\x89PNG\r\n\x1a\n" + b"\0" * (8 * 1024 * 1024))
    assert huge.status_code == 413 and huge.json()["errors"][0]["code"] == "LIST-11"
    nine = [send(client, owner, image_bytes(color=(i, 0, 0))) for i in range(9)]
    assert [r.status_code for r in nine] == [201] * 8 + [422]
    assert nine[-1].json()["errors"][0]["code"] == "LIST-7"
    no_app = send(client, owner, image_bytes(), path="/api/stores/shop/apps/org.example.none/listing/images")
    assert no_app.status_code == 404 and no_app.json()["errors"][0]["code"] == "LIST-8"


@ON_EVERY_DATABASE
def test_only_the_owner_adds_images_and_images_stay_with_their_app(client, owner, svc):
    other = make_developer(svc, "other@example.com", name="Other")[1]
    assert send(client, other, image_bytes()).status_code == 403
    anonymous = client.post(IMAGES, files={"image": ("a.png", image_bytes(), "image/png")})
    assert anonymous.status_code == 401
    name = send(client, owner, image_bytes()).json()["image"]["name"]
    assert client.get(f"/repo/shop/images/{PACKAGE}/{name}").status_code == 200
    # The same name under another app, or another store, is not served.
    assert client.get(f"/repo/shop/images/org.apkdepot.beta/{name}").status_code == 404
    create_store(client, other, "elsewhere")
    assert client.get(f"/repo/elsewhere/images/{PACKAGE}/{name}").status_code == 404
    assert client.get(f"/repo/shop/images/{PACKAGE}/..%2F..%2Fsecret").status_code == 404


@ON_EVERY_DATABASE
def test_a_private_store_asks_for_its_credentials_for_images(client, svc, owner):
    name = send(client, owner, image_bytes()).json()["image"]["name"]
    made_private = client.patch("/api/stores/shop", json={"private": True, "basic_user": "u",
                                                          "basic_password": "password1"}, headers=auth(owner))
    assert made_private.status_code == 200, made_private.text
    flush(client)
    assert client.get(f"/repo/shop/images/{PACKAGE}/{name}").status_code == 401
    assert client.get(f"/repo/shop/images/{PACKAGE}/{name}", auth=("u", "password1")).status_code == 200
    # Its owner, signed in to the portal, sees them there (the listing editor shows them).
    log_in(client, "owner@example.com")
    assert client.get(f"/repo/shop/images/{PACKAGE}/{name}").status_code == 200
    assert client.get("/repo/shop/info.xml").status_code == 401  # only the listing images
    client.cookies.clear()
    make_developer(svc, "stranger@example.com", name="Stranger")
    log_in(client, "stranger@example.com")
    assert client.get(f"/repo/shop/images/{PACKAGE}/{name}").status_code == 401
    assert client.get(f"/fdroid/shop/repo/{PACKAGE}/en-US/phoneScreenshots/{name}").status_code == 404


@pytest.mark.parametrize("size, ok", [((320, 320), True), ((3840, 1536), True), ((319, 640), False),
                                      ((3841, 2000), False), ((800, 2001), False)])
def test_the_size_rules(size, ok):
    if ok:
        check_dimensions(*size, ImageLimits())
    else:
        with pytest.raises(ImageRejected):
            check_dimensions(*size, ImageLimits())
