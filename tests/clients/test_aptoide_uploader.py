"""The Aptoide Uploader (Aptoide/aptoide-uploader, the 2016–2017 version under
app/src/main/java/pt/caixamagica/aptoide/uploader/) logging in and publishing,
restated as facts; the 6.x app (svn2github/aptoide-client,
Aptoide6/trunk/v5engine/.../webservices/OAuth2AuthenticationRequest.java and
OauthErrorHandler.java) logs in the same way.

- retrofit/request/OAuth2AuthenticationRequest.java: POST form to
  webservices/3/oauth2Authentication with the Bean as Jackson writes it
  (mode=json, client_id=Aptoide, grant_type=password, username, password,
  authMode=aptoide); a refresh (retrofit/OAuth2Request.java) sends
  grant_type=refresh_token, refresh_token, client_id, mode. webservices/json/OAuth
  reads access_token, refresh_token, status, error_description.
- activities/LoginActivity.java: `!"FAIL".equals(oAuth.getStatus())` then
  getUserInfo; any HTTP error is a failed log-in.
- retrofit/request/UserCredentialsRequest.java: POST webservices/3/getUserInfo
  {access_token, mode=json}; UserCredentialsJson reads username, email, avatar,
  repo (null: the repo-creation dialog), status.
- retrofit/request/UploadAppToRepoRequest.java: multipart POST
  webservices/3/uploadAppToRepo with access_token, repo, mode=json and
  apk_md5sum first; uploadService/UploadService.java sends the file when the
  answer has APK-5. An HTTP error whose error_description is "The access token
  provided is invalid" or "… has expired" makes it refresh and retry."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa

from apkdepot.db.schema import oauth_tokens
from apkdepot.db.time import utcnow
from tests.helpers import PASSWORD, create_store, fixture, flush, link_token, make_developer, upload

INVALID = "The access token provided is invalid"
EXPIRED = "The access token provided has expired"


def log_in(client, email, password=PASSWORD):
    return client.post("/webservices/3/oauth2Authentication", data={
        "mode": "json", "client_id": "Aptoide", "grant_type": "password", "username": email, "password": password,
        "authMode": "aptoide"})


def refresh(client, refresh_token):
    return client.post("/webservices/3/oauth2Authentication", data={
        "mode": "json", "client_id": "Aptoide", "grant_type": "refresh_token", "refresh_token": refresh_token})


def upload_form(access_token, **extra):
    return {"access_token": access_token, "repo": "shop", "mode": "json", "uploadType": "3",
            "upload_from": "uploader", **extra}


def test_uploader_logs_in_and_publishes_end_to_end(client, svc):
    developer, dev_token = make_developer(svc)
    granted = log_in(client, developer.email)
    assert granted.status_code == 200
    oauth = granted.json()
    assert oauth["status"] == "OK" and isinstance(oauth["access_token"], str) and isinstance(oauth["refresh_token"], str)
    assert oauth["token_type"] == "Bearer" and oauth["expires_in"] > 0
    # No store yet: repo is absent, so the Uploader offers to create one.
    info = client.post("/webservices/3/getUserInfo", data={"access_token": oauth["access_token"], "mode": "json"}).json()
    assert info["status"] == "OK" and info["username"] == developer.name and info["email"] == developer.email
    assert "repo" not in info
    create_store(client, dev_token, "shop")
    assert client.post("/webservices/3/getUserInfo", data={"access_token": oauth["access_token"], "mode": "json"}
                       ).json()["repo"] == "shop"

    apk = fixture("alpha-1.apk").read_bytes()
    md5 = hashlib.md5(apk).hexdigest()
    first = client.post("/webservices/3/uploadAppToRepo", data=upload_form(oauth["access_token"], apk_md5sum=md5))
    assert first.status_code == 200 and "APK-5" in [e["code"] for e in first.json()["errors"]]
    second = client.post("/webservices/3/uploadAppToRepo", data=upload_form(oauth["access_token"]),
                         files={"apk": ("alpha-1.apk", apk, "application/vnd.android.package-archive")})
    assert second.status_code == 200 and second.json()["status"] == "OK", second.json()
    flush(client)
    listed = client.get("/api/7/apps/get/store_name=shop").json()["datalist"]["list"]
    assert [(a["package"], a["file"]["md5sum"]) for a in listed] == [("org.apkdepot.alpha", md5)]


def test_a_bad_access_token_is_an_http_error_the_uploader_refreshes_on(client, svc):
    developer, dev_token = make_developer(svc)
    create_store(client, dev_token, "shop")
    oauth = log_in(client, developer.email).json()
    for token, description in (("not-a-token", INVALID), (oauth["refresh_token"], INVALID)):
        answer = client.post("/webservices/3/uploadAppToRepo", data=upload_form(token, apk_md5sum="0" * 32))
        assert answer.status_code == 401, answer.text
        body = answer.json()
        assert body["status"] == "FAIL" and body["error_description"] == description and body["error"] == "invalid_token"
        assert answer.headers["www-authenticate"].startswith("Bearer")
    with svc.db.write() as conn:
        conn.execute(sa.update(oauth_tokens).where(oauth_tokens.c.kind == "access")
                     .values(expires_at=utcnow() - timedelta(seconds=1)))
    expired = client.post("/webservices/3/getUserInfo", data={"access_token": oauth["access_token"], "mode": "json"})
    assert expired.status_code == 401 and expired.json()["error_description"] == EXPIRED
    # The Uploader's refresh: a new access token for the same refresh token, which keeps working.
    for _ in range(2):
        renewed = refresh(client, oauth["refresh_token"])
        assert renewed.status_code == 200, renewed.text
        fresh = renewed.json()
        assert fresh["refresh_token"] == oauth["refresh_token"] and fresh["access_token"] != oauth["access_token"]
        assert client.post("/webservices/3/getUserInfo", data={"access_token": fresh["access_token"], "mode": "json"}
                           ).json()["status"] == "OK"
    # Access tokens work where dev tokens do, also as a Bearer header, in the XML envelope too.
    info = client.get("/webservices/2/getRepositoryInfo/shop/json",
                      headers={"Authorization": f"Bearer {fresh['access_token']}"}).json()
    assert info["status"] == "OK"


def test_failed_log_ins_are_http_errors_with_a_description(client, svc):
    developer, _ = make_developer(svc)
    wrong = log_in(client, developer.email, "not the password")
    assert wrong.status_code == 400
    assert wrong.json()["status"] == "FAIL" and wrong.json()["error"] == "invalid_grant"
    assert wrong.json()["error_description"] == "Invalid username and password combination"
    unknown = log_in(client, "nobody@example.com")
    assert unknown.status_code == 400 and unknown.json()["error_description"] == wrong.json()["error_description"]
    assert refresh(client, "made-up").status_code == 400
    unsupported = client.post("/webservices/3/oauth2Authentication", data={"grant_type": "client_credentials", "mode": "json"})
    assert unsupported.status_code == 400 and unsupported.json()["error"] == "unsupported_grant_type"
    # The description stays English whatever the language; the errors list is localized.
    pt = client.post("/webservices/3/oauth2Authentication", headers={"Accept-Language": "pt-BR"}, data={
        "grant_type": "password", "username": developer.email, "password": "nope", "mode": "json"}).json()
    assert pt["error_description"] == "Invalid username and password combination"
    assert pt["errors"][0]["msg"] != pt["error_description"]
    # Only POST: a password never travels in a URL.
    assert client.get("/webservices/3/oauth2Authentication", params={"grant_type": "password"}).status_code == 405


def test_a_new_password_ends_every_oauth_log_in(client, svc, mailer):
    from apkdepot.accounts import services as accounts

    developer, _ = make_developer(svc)
    oauth = log_in(client, developer.email).json()
    accounts.request_password_reset(svc, developer.email, "en", "http://testserver.local", None)
    accounts.reset_password(svc, link_token(mailer.last_body(), "/reset"), "An0ther-passw0rd!")
    assert client.post("/webservices/3/getUserInfo", data={"access_token": oauth["access_token"], "mode": "json"}
                       ).status_code == 401
    assert refresh(client, oauth["refresh_token"]).status_code == 400
    assert log_in(client, developer.email, "An0ther-passw0rd!").status_code == 200


def test_categories_as_the_upload_form_uses_them(client, svc):
    """SubmitAppFragment: POST webservices/2/listCategories {mode=json} (no token); CategoriesJson reads
    categories.standard and .custom as [{id: Number, parent: Number, name: String}], drops ids 1 and 2,
    sends the chosen id as uploadAppToRepo's category, and preselects an app's category from
    getApkInfo's meta.categories.standard.get(1).id (GetApkInfoJson.Meta)."""
    developer, dev_token = make_developer(svc)
    create_store(client, dev_token, "shop")
    assert upload(client, dev_token, "shop", "gamma-5.apk", category="Puzzles of mine").status_code == 201
    flush(client)
    listed = client.post("/webservices/2/listCategories", data={"mode": "json"}).json()
    assert listed["status"] == "OK"
    standard, custom = listed["categories"]["standard"], listed["categories"]["custom"]
    assert {c["id"] for c in standard} >= {1, 2} and all(isinstance(c["id"], int) and isinstance(c["parent"], int)
                                                        and isinstance(c["name"], str) for c in standard + custom)
    assert [c["name"] for c in custom] == ["Puzzles of mine"]
    tools = next(c for c in standard if c["name"] == "Tools")
    oauth = log_in(client, developer.email).json()
    apk = fixture("alpha-1.apk").read_bytes()
    sent = client.post("/webservices/3/uploadAppToRepo", data=upload_form(oauth["access_token"], category=str(tools["id"])),
                       files={"apk": ("alpha-1.apk", apk, "application/vnd.android.package-archive")})
    assert sent.json()["status"] == "OK", sent.json()
    flush(client)
    info = client.post("/webservices/3/getApkInfo", data={"access_token": oauth["access_token"], "repo": "shop",
                                                           "identif": "package:org.apkdepot.alpha", "mode": "json"}).json()
    assert info["meta"]["categories"]["standard"][1] == tools
    mine = client.post("/webservices/3/getApkInfo", data={"token": dev_token, "repo": "shop",
                                                          "identif": "package:org.apkdepot.gamma", "mode": "json"}).json()
    assert mine["meta"]["categories"]["standard"][1] == custom[0]
    # A custom category's number works as its name does; "App Category" (no choice) sends -1: none.
    apk2 = fixture("beta-10.apk").read_bytes()
    again = client.post("/webservices/3/uploadAppToRepo", data=upload_form(oauth["access_token"], category="-1"),
                        files={"apk": ("beta-10.apk", apk2, "application/vnd.android.package-archive")})
    assert again.json()["status"] == "OK"
    flush(client)
    beta = client.post("/webservices/3/getApkInfo", data={"token": dev_token, "repo": "shop",
                                                          "identif": "package:org.apkdepot.beta", "mode": "json"}).json()
    assert len(beta["meta"]["categories"]["standard"]) == 2  # read unguarded at index 1
