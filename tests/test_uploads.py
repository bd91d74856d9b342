"""Multipart uploads are parsed as they stream: the APK part goes to a temp
file (with or without a file name), fields are UTF-8 text, and whatever
happens no temp file is left behind."""

from __future__ import annotations

import pytest

from tests.helpers import auth, create_store, fixture, make_developer, upload

BOUNDARY = "apkdepot-test-boundary"


def multipart(*parts: tuple[str, bytes, str | None]) -> bytes:
    body = b""
    for name, data, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        body += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def post(client, token, body: bytes, store: str = "shop"):
    return client.post(f"/api/stores/{store}/apks", content=body,
                       headers={**auth(token), "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})


@pytest.fixture
def owner(client, svc):
    token = make_developer(svc)[1]
    create_store(client, token)
    return token


def leftovers(svc) -> list[str]:
    tmp = svc.settings.data_dir / "tmp"
    return sorted(p.name for p in tmp.iterdir()) if tmp.exists() else []


def test_apk_part_without_a_file_name_is_a_file(client, svc, owner):
    response = post(client, owner, multipart(("apk", fixture("gamma-5.apk").read_bytes(), None),
                                             ("category", "Tools".encode(), None)))
    assert response.status_code == 201, response.text
    assert response.json()["apk"]["package"] == "org.apkdepot.gamma"
    assert leftovers(svc) == []


def test_empty_apk_part_and_missing_part(client, svc, owner):
    empty = post(client, owner, multipart(("apk", b"", "x.apk")))
    assert empty.status_code == 422 and empty.json()["errors"][0]["code"] == "APK-2"
    missing = post(client, owner, multipart(("description", b"no file", None)))
    assert missing.status_code == 400 and missing.json()["errors"][0]["code"] == "MARG-5"
    assert leftovers(svc) == []


def test_oversized_apk_stops_early_and_leaves_nothing(tmp_path, database_url, mailer):
    from litestar.testing import TestClient

    from apkdepot.app import create_app
    from apkdepot.services import build_services
    from tests.conftest import make_settings

    svc = build_services(make_settings(tmp_path, database_url, max_apk_bytes=1024 * 1024), mailer=mailer)
    try:
        with TestClient(create_app(services=svc), base_url="http://testserver.local") as client:
            token = make_developer(svc)[1]
            create_store(client, token)
            response = post(client, token, multipart(("apk", b"\x00" * (1024 * 1024 + 10), "big.apk")))
            assert response.status_code == 413 and response.json()["errors"][0]["code"] == "APK-6"
            assert leftovers(svc) == []
    finally:
        svc.close()


@pytest.mark.parametrize("body,code", [
    (multipart(("description", b"\xff\xfe", None), ("apk", b"PK", "x.apk")), "IARG-101"),
    (b"--" + BOUNDARY.encode() + b"\r\nno headers at all", "IARG-103"),
    (b"".join(multipart(("f%d" % i, b"x", None))[:-len(BOUNDARY) - 6] for i in range(300)) + f"--{BOUNDARY}--\r\n".encode(),
     "IARG-103"),
])
def test_unreadable_multipart_is_400(client, svc, owner, body, code):
    response = post(client, owner, body)
    assert response.status_code == 400, response.text
    assert [e["code"] for e in response.json()["errors"]] == [code]
    assert leftovers(svc) == []


def test_web_service_upload_streams_too(client, svc, owner):
    body = multipart(("token", owner.encode(), None), ("repo", b"shop", None), ("mode", b"json", None),
                     ("apk", fixture("beta-10.apk").read_bytes(), None))
    response = client.post("/webservices/2/uploadAppToRepo", content=body,
                           headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert response.status_code == 200 and response.json()["status"] == "OK", response.text
    assert response.json()["info"]["package"] == "org.apkdepot.beta"
    assert leftovers(svc) == []


def test_field_lengths_count_what_was_sent(client, svc):
    # The contract's maxLength is of the value as sent: surrounding spaces count.
    token = make_developer(svc)[1]
    create_store(client, token, "shop")
    too_long = upload(client, token, "shop", "alpha-1.apk", description="\n" + "x" * 4000)
    assert too_long.status_code == 422, too_long.text
    assert upload(client, token, "shop", "alpha-1.apk", description="x" * 4000).status_code == 201
