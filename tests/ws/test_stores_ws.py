"""listRepositoryChange and the read web services (PROTOCOL §2, §4)."""

from __future__ import annotations

import pytest

from tests.helpers import auth, create_store, flush, make_developer, upload

XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'


def current_hash(client, store: str) -> str:
    return client.get(f"/repo/{store}/info.xml", headers={"Accept-Encoding": "identity"}).headers["etag"].strip('"')


@pytest.fixture
def world(client, svc):
    """a-repo: changed since its first hash (2 added, then 1 updated and 1 removed);
    another-repo: 1 app; yet-another-repo: unchanged."""
    _, token = make_developer(svc)
    for name in ("a-repo", "another-repo", "yet-another-repo"):
        create_store(client, token, name)
    first = current_hash(client, "a-repo")
    upload(client, token, "a-repo", "alpha-1.apk")
    upload(client, token, "a-repo", "gamma-5.apk")
    upload(client, token, "another-repo", "beta-10.apk")
    flush(client)
    middle = current_hash(client, "a-repo")
    upload(client, token, "a-repo", "alpha-2.apk")
    upload(client, token, "a-repo", "beta-10.apk")
    client.delete("/api/stores/a-repo/apps/org.apkdepot.gamma", headers=auth(token))
    flush(client)
    return {"token": token, "first": first, "middle": middle, "a": current_hash(client, "a-repo"),
            "another": current_hash(client, "another-repo"), "yet": current_hash(client, "yet-another-repo")}


def test_documented_sample_shape_json_and_xml(client, world):
    """The documented sample's three cases: known old hash, unknown hash, current hash."""
    path = f"a-repo,another-repo,yet-another-repo/{world['middle']},{'f' * 32},{world['yet']}"
    body = client.get(f"/webservices/listRepositoryChange/{path}/json", params={"token": world["token"]}).json()
    assert body == {"status": "OK", "listing": [
        {"repo": "a-repo", "hasupdates": "TRUE", "added": 2, "removed": 2},
        {"repo": "another-repo", "hasupdates": "TRUE", "appscount": 1},
        {"repo": "yet-another-repo", "hasupdates": "FALSE"}]}
    xml = client.get(f"/webservices/listRepositoryChange/{path}/xml", params={"token": world["token"]}).text
    assert xml == (XML_DECL + "<response><status>OK</status><listing>"
                   "<entry><repo>a-repo</repo><hasupdates>TRUE</hasupdates><added>2</added><removed>2</removed></entry>"
                   "<entry><repo>another-repo</repo><hasupdates>TRUE</hasupdates><appscount>1</appscount></entry>"
                   "<entry><repo>yet-another-repo</repo><hasupdates>FALSE</hasupdates></entry>"
                   "</listing></response>")


def test_counts_from_the_very_first_version(client, world):
    body = client.get(f"/webservices/2/listRepositoryChange/a-repo/{world['first']}/json",
                      params={"token": world["token"]}).json()
    assert body["listing"] == [{"repo": "a-repo", "hasupdates": "TRUE", "added": 2, "removed": 0}]


@pytest.mark.parametrize("style", ["path", "query", "query-xml", "form", "json", "bearer", "gen2", "gen3"])
def test_every_request_style(client, world, style):
    token = world["token"]
    repos, hashes = "a-repo;yet-another-repo", f"{world['a']};{world['yet']}"
    expected = [{"repo": "a-repo", "hasupdates": "FALSE"}, {"repo": "yet-another-repo", "hasupdates": "FALSE"}]
    if style == "path":
        r = client.get(f"/webservices/listRepositoryChange/{repos}/{hashes}/json", params={"token": token})
    elif style == "query":
        r = client.get("/webservices/listRepositoryChange/json", params={"token": token, "repo": repos, "hash": hashes})
    elif style == "query-xml":
        r = client.get("/webservices/listRepositoryChange/xml", params={"token": token, "repo": repos, "hash": hashes})
        assert r.text.count("<hasupdates>FALSE</hasupdates>") == 2
        return
    elif style == "form":
        r = client.post("/webservices/listRepositoryChange", data={"token": token, "repo": repos, "hash": hashes, "mode": "json"})
    elif style == "json":
        r = client.post("/webservices/listRepositoryChange",
                        json={"token": token, "repo": ["a-repo", "yet-another-repo"], "hash": [world["a"], world["yet"]], "mode": "json"})
    elif style == "bearer":
        r = client.get(f"/webservices/listRepositoryChange/{repos}/{hashes}/json", headers=auth(token))
    else:
        r = client.get(f"/webservices/{style[-1]}/listRepositoryChange/{repos}/{hashes}/json", params={"token": token})
    assert r.json() == {"status": "OK", "listing": expected}


def test_offset_skips_listing_entries(client, world):
    params = {"token": world["token"], "repo": "a-repo,another-repo,yet-another-repo",
              "hash": f"{world['a']},{world['another']},{world['yet']}", "offset": "2"}
    assert client.get("/webservices/listRepositoryChange/json", params=params).json()["listing"] == [
        {"repo": "yet-another-repo", "hasupdates": "FALSE"}]
    params["offset"] = "-1"
    assert client.get("/webservices/2/listRepositoryChange/json", params=params).json()["errors"][0]["code"] == "IARG-105"


def test_another_stores_hash_is_unknown_and_empty_hash_too(client, world):
    body = client.get("/webservices/listRepositoryChange/json", params={
        "token": world["token"], "repo": "another-repo,a-repo", "hash": f"{world['a']},"}).json()
    assert body["listing"] == [{"repo": "another-repo", "hasupdates": "TRUE", "appscount": 1},
                               {"repo": "a-repo", "hasupdates": "TRUE", "appscount": 2}]


CASES = [
    # (query params without token, codes in generation 2, English messages in generation 1)
    ({"hash": "x"}, ["MARG-1"], ["Missing repo parameter"]),
    ({"repo": "a-repo"}, ["MARG-113"], ["Missing hash parameter"]),
    ({}, ["MARG-1", "MARG-113"], ["Missing repo parameter", "Missing hash parameter"]),
    ({"repo": "a-repo,yet-another-repo", "hash": "0" * 32}, ["IARG-112"],
     ["Number of repos mismatch the number of given hashes."]),
    ({"repo": "nope,a-repo,../etc", "hash": ",".join(["0" * 32] * 3)}, ["IARG-1", "IARG-1"],
     ["Invalid repo: nope", "Invalid repo: ../etc"]),
]


@pytest.mark.parametrize("params,codes,messages", CASES)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_error_codes_in_both_generations_and_formats(client, world, params, codes, messages, fmt):
    params = {**params, "token": world["token"]}
    gen2 = client.get(f"/webservices/2/listRepositoryChange/{fmt}", params=params)
    gen1 = client.get(f"/webservices/listRepositoryChange/{fmt}", params=params)
    assert gen2.status_code == gen1.status_code == 200
    if fmt == "json":
        assert [e["code"] for e in gen2.json()["errors"]] == codes
        assert gen1.json() == {"status": "FAIL", "errors": messages}
    else:
        for code in codes:
            assert f"<code>{code}</code>" in gen2.text
        assert gen1.text == XML_DECL + "<response><status>FAIL</status><errors>" + "".join(
            f"<entry>{m}</entry>" for m in messages) + "</errors></response>"


def test_token_errors_come_first_with_the_argument_errors(client, world):
    body = client.get("/webservices/2/listRepositoryChange/json", params={"repo": "nope", "hash": "0" * 32}).json()
    assert [e["code"] for e in body["errors"]] == ["MARG-200", "IARG-1"]
    body = client.get("/webservices/2/listRepositoryChange/json",
                      params={"token": "0" * 40, "repo": "a-repo,b", "hash": "0" * 32}).json()
    assert [e["code"] for e in body["errors"]] == ["IARG-2", "IARG-112", "IARG-1"]


def test_hostile_input_is_refused_quickly(client, world):
    import time

    many = ",".join(f"repo{i}" for i in range(10_000))
    started = time.monotonic()
    body = client.post("/webservices/2/listRepositoryChange", data={
        "token": world["token"], "repo": many, "hash": ",".join(["0" * 32] * 10_000)}).json()
    # 10,000 repos of 7-8 characters pass the parameter length cap: the count is what is refused.
    assert body["status"] == "FAIL" and [e["code"] for e in body["errors"]] == ["IARG-104"] * 2
    assert time.monotonic() - started < 5
    huge = client.post("/webservices/2/listRepositoryChange", data={"token": world["token"], "repo": "a" * 2_000_000, "hash": "x"})
    assert huge.status_code == 413
    bad = client.get("/webservices/2/listRepositoryChange/%ff/%fe/json", params={"token": world["token"]})
    assert bad.json()["errors"][0]["code"] == "IARG-101"


def test_private_stores_are_invisible_to_others(client, svc, world):
    create_store(client, world["token"], "hidden", private=True, basic_user="u", basic_password="password1")
    _, stranger = make_developer(svc, "stranger@example.com")
    params = {"repo": "hidden", "hash": "0" * 32}
    mine = client.get("/webservices/2/listRepositoryChange/json", params={**params, "token": world["token"]}).json()
    assert mine["status"] == "OK"
    theirs = client.get("/webservices/2/listRepositoryChange/json", params={**params, "token": stranger}).json()
    assert theirs["errors"][0]["code"] == "IARG-1"


def test_regenerated_token_fails_at_once_on_the_hot_path(client, world):
    params = {"repo": "a-repo", "hash": world["a"]}
    assert client.get("/webservices/2/listRepositoryChange/json", params={**params, "token": world["token"]}).json()["status"] == "OK"
    new = client.post("/webservices/2/regenerateToken", data={"token": world["token"]}).json()["token"]
    old = client.get("/webservices/2/listRepositoryChange/json", params={**params, "token": world["token"]}).json()
    assert old["errors"][0]["code"] == "IARG-2"
    assert client.get("/webservices/2/listRepositoryChange/json", params={**params, "token": new}).json()["status"] == "OK"


def test_get_repository_info_and_list_repository(client, world):
    token = world["token"]
    info = client.get("/webservices/getRepositoryInfo/a-repo/json", params={"token": token}).json()
    assert info == {"status": "OK", "listing": {"name": "a-repo", "avatar": "", "avatar_hd": "", "downloads": "0",
                                                "theme": "default", "description": "", "view": "list", "items": "2",
                                                "appscount": "2"}}
    xml = client.get("/webservices/2/getRepositoryInfo/a-repo/xml", params={"token": token}).text
    assert "<listing><name>a-repo</name><avatar></avatar><avatar_hd></avatar_hd><downloads>0</downloads>" in xml
    listing = client.get("/webservices/2/listRepository/a-repo/json", params={"token": token}).json()
    assert listing["total"] == 2
    assert [(e["apkid"], e["vercode"]) for e in listing["listing"]] == [("org.apkdepot.alpha", 2), ("org.apkdepot.beta", 10)]
    assert listing["listing"][0]["sz"] == 17 and listing["listing"][0]["cpu"] == "arm64-v8a,armeabi-v7a"
    page = client.get("/webservices/2/listRepository/a-repo/json", params={"token": token, "limit": 1, "offset": 1}).json()
    assert [e["apkid"] for e in page["listing"]] == ["org.apkdepot.beta"]
    missing = client.get("/webservices/2/getRepositoryInfo/none/json", params={"token": token}).json()
    assert missing["errors"][0]["code"] == "IARG-1"


def test_get_apk_info_in_both_generations(client, world):
    token = world["token"]
    by_path = client.get("/webservices/2/getApkInfo/a-repo/org.apkdepot.alpha/2/json", params={"token": token}).json()
    assert by_path["apk"]["vername"] == "1.1" and by_path["apk"]["permissions"] == [
        "android.permission.CAMERA", "android.permission.INTERNET"]
    assert by_path["signature"] == {"SHA1": "5A:9D:0C:B1:E4:78:78:00:46:A7:EA:64:54:22:44:56:1B:1B:C9:81"}
    assert by_path["meta"]["title"] == "Alpha"
    listed = client.get("/webservices/2/getApkInfo/a-repo/org.apkdepot.alpha/json", params={"token": token}).json()
    assert listed["apk"]["vercode"] == 2
    old = client.get("/webservices/2/getApkInfo/a-repo/org.apkdepot.alpha/1/json", params={"token": token}).json()
    assert old["apk"]["vercode"] == 1  # still published, though not listed
    md5 = by_path["apk"]["md5sum"]
    for identif in ("package:org.apkdepot.alpha", f"md5sum:{md5}", f"id:{by_path['apk']['id']}"):
        body = client.post("/webservices/3/getApkInfo", data={"token": token, "repo": "a-repo", "identif": identif}).json()
        assert body["apk"]["md5sum"] == md5, identif
    assert client.post("/webservices/3/getApkInfo", data={"token": token, "repo": "a-repo", "identif": "name:x"}).json()["errors"][0]["code"] == "IARG-3"
    assert client.post("/webservices/3/getApkInfo", data={"token": token, "repo": "a-repo", "identif": "package:no.such"}).json()["errors"][0]["code"] == "APK-1"
    assert client.get("/webservices/2/getApkInfo/a-repo/json", params={"token": token}).json()["errors"][0]["code"] == "MARG-7"


def test_list_search_apks(client, world):
    token = world["token"]
    everywhere = client.get("/webservices/listSearchApks/json", params={"token": token, "search": "BETA"}).json()
    assert [(e["repo"], e["apkid"]) for e in everywhere["listing"]] == [
        ("a-repo", "org.apkdepot.beta"), ("another-repo", "org.apkdepot.beta")]
    one = client.get("/webservices/2/listSearchApks/apkdepot/json", params={"token": token, "repo": "a-repo", "limit": 1}).json()
    assert one["total"] == 2 and len(one["listing"]) == 1
    wildcard = client.get("/webservices/2/listSearchApks/json", params={"token": token, "search": "%"}).json()
    assert wildcard["total"] == 0
    assert client.get("/webservices/2/listSearchApks/json", params={"token": token}).json()["errors"][0]["code"] == "MARG-203"


@pytest.mark.parametrize("token,code,message", [(None, "MARG-200", "Missing token parameter"),
                                                 ("0" * 40, "IARG-2", "Invalid token")])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_token_errors_in_both_generations_and_formats(client, world, token, code, message, fmt):
    params = {"repo": "a-repo", "hash": world["a"], **({"token": token} if token else {})}
    gen1 = client.get(f"/webservices/listRepositoryChange/{fmt}", params=params)
    gen2 = client.get(f"/webservices/2/listRepositoryChange/{fmt}", params=params)
    if fmt == "json":
        assert gen1.json() == {"status": "FAIL", "errors": [message]}
        assert gen2.json() == {"status": "FAIL", "errors": [{"code": code, "msg": message}]}
    else:
        assert gen1.text == XML_DECL + f"<response><status>FAIL</status><errors><entry>{message}</entry></errors></response>"
        assert gen2.text == (XML_DECL + f"<response><status>FAIL</status><errors><entry><code>{code}</code>"
                             f"<msg>{message}</msg></entry></errors></response>")


def test_private_stores_are_hidden_in_every_read_service(client, svc, world):
    """A private store's apps reach its owner, never another developer, in any read service."""
    owner = world["token"]
    create_store(client, owner, "hidden", private=True, basic_user="u", basic_password="password1")
    upload(client, owner, "hidden", "gamma-6.apk")
    flush(client)
    _, stranger = make_developer(svc, "stranger@example.com")

    def calls(token):
        return {
            "getRepositoryInfo": client.get("/webservices/2/getRepositoryInfo/hidden/json", params={"token": token}).json(),
            "listRepository": client.get("/webservices/2/listRepository/hidden/json", params={"token": token}).json(),
            "getApkInfo": client.get("/webservices/2/getApkInfo/hidden/org.apkdepot.gamma/json", params={"token": token}).json(),
            "getApkInfo3": client.post("/webservices/3/getApkInfo", data={"token": token, "repo": "hidden",
                                                                         "identif": "package:org.apkdepot.gamma"}).json(),
            "listSearchApks": client.get("/webservices/2/listSearchApks/json", params={"token": token, "search": "gamma"}).json(),
            "listSearchApks in repo": client.get("/webservices/2/listSearchApks/json",
                                                 params={"token": token, "search": "gamma", "repo": "hidden"}).json(),
        }

    mine = calls(owner)
    assert mine["getRepositoryInfo"]["listing"]["appscount"] == "1"
    assert [e["apkid"] for e in mine["listRepository"]["listing"]] == ["org.apkdepot.gamma"]
    assert mine["getApkInfo"]["apk"]["vercode"] == 6 and mine["getApkInfo3"]["apk"]["vercode"] == 6
    assert ("hidden", "org.apkdepot.gamma") in {(e["repo"], e["apkid"]) for e in mine["listSearchApks"]["listing"]}
    theirs = calls(stranger)
    for name in ("getRepositoryInfo", "listRepository", "getApkInfo", "getApkInfo3", "listSearchApks in repo"):
        assert theirs[name]["status"] == "FAIL" and theirs[name]["errors"][0]["code"] == "IARG-1", (name, theirs[name])
    assert all(e["repo"] != "hidden" for e in theirs["listSearchApks"]["listing"])
