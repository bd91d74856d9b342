"""The portal's listing editor: texts per language, release notes, links and
images, saved through the JSON API's checks; typed values survive errors."""

from __future__ import annotations

import io

from PIL import Image

from tests.helpers import auth, create_store, flush, make_developer, upload
from tests.portal.test_pages import csrf_of, log_in

EDITOR = "/dashboard/stores/shop/apps/org.apkdepot.alpha/listing"
API = "/api/stores/shop/apps/org.apkdepot.alpha/listing"


def png(size=(400, 800), color=(3, 4, 5)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def _setup(client, svc):
    _, token = make_developer(svc)
    create_store(client, token, "shop")
    upload(client, token, "shop", "alpha-1.apk")
    flush(client)
    log_in(client)
    return token


def test_edit_a_listing_in_two_languages_with_images(client, svc):
    token = _setup(client, svc)
    page = client.get("/dashboard/stores/shop")
    assert f'href="{EDITOR}"' in page.text
    form = client.get(EDITOR)
    assert form.status_code == 200 and 'href="?locale=pt-BR"' in form.text
    csrf = csrf_of(form.text)
    saved = client.post(f"{EDITOR}?locale=en-US", data={
        "csrf_token": csrf, "locale": "en-US", "name": "Alpha Notes", "summary": "Notes that stay",
        "description": "Write **fast**.", "notes": "First release", "category": "Productivity",
        "website": "https://example.org", "license": "MIT"},
        files={"screenshots": ("one.png", png(), "image/png")}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"{EDITOR}?locale=en-US&done=saved"
    portuguese = client.post(f"{EDITOR}?locale=pt-BR", data={
        "csrf_token": csrf, "locale": "pt-BR", "name": "Notas Alfa", "summary": "", "description": "",
        "notes": "Primeira versão", "category": "Productivity", "website": "https://example.org", "license": "MIT"},
        files={"feature_graphic": ("feature.png", png((1024, 500)), "image/png")}, follow_redirects=False)
    assert portuguese.status_code == 303, portuguese.text
    listing = client.get(API, headers=auth(token)).json()["listing"]
    assert listing["locales"]["en-US"]["name"] == "Alpha Notes" and listing["locales"]["pt-BR"]["name"] == "Notas Alfa"
    assert listing["release_notes"]["1"] == {"en-US": "First release", "pt-BR": "Primeira versão"}
    assert len(listing["screenshots"]["en-US"]) == 1 and listing["feature_graphic"]["pt-BR"]["width"] == 1024
    # The editor shows what was saved, with the images.
    again = client.get(f"{EDITOR}?locale=en-US").text
    assert 'value="Alpha Notes"' in again and ">Write **fast**.</textarea>" in again
    assert f"/repo/shop/images/org.apkdepot.alpha/{listing['screenshots']['en-US'][0]['name']}" in again
    flush(client)
    public = client.get("/stores/shop/org.apkdepot.alpha?lang=pt-BR").text
    assert "Notas Alfa" in public and "Primeira versão" in public
    # Removing the screenshot.
    dropped = client.post(f"{EDITOR}?locale=en-US", data={
        "csrf_token": csrf, "locale": "en-US", "name": "Alpha Notes", "drop": listing["screenshots"]["en-US"][0]["name"],
        "category": "Productivity", "license": "MIT"}, follow_redirects=False)
    assert dropped.status_code == 303
    assert "en-US" not in client.get(API, headers=auth(token)).json()["listing"]["screenshots"]


def test_errors_sit_at_their_fields_and_typed_values_stay(client, svc):
    token = _setup(client, svc)
    csrf = csrf_of(client.get(EDITOR).text)
    refused = client.post(f"{EDITOR}?locale=en-US", data={
        "csrf_token": csrf, "locale": "en-US", "name": "n" * 51, "summary": "Kept summary",
        "description": "Kept description", "website": "javascript:alert(1)", "license": "MIT"})
    assert refused.status_code == 422
    assert 'id="e-name"' in refused.text and 'id="e-website"' in refused.text
    assert 'value="Kept summary"' in refused.text and ">Kept description</textarea>" in refused.text
    assert client.get(API, headers=auth(token)).json()["listing"]["locales"] == {}
    bad_image = client.post(f"{EDITOR}?locale=en-US", data={"csrf_token": csrf, "locale": "en-US", "name": "Fine"},
                            files={"screenshots": ("x.gif", b"GIF89a not really", "image/gif")})
    assert bad_image.status_code == 422 and "x.gif" in bad_image.text and "LIST-9" not in bad_image.text
    assert client.get(API, headers=auth(token)).json()["listing"]["locales"]["en-US"]["name"] == "Fine"
    assert client.get(f"{EDITOR}?locale=not a tag").status_code == 422
    assert client.get("/dashboard/stores/shop/apps/org.example.none/listing").status_code == 404
