"""What the open-source Aptoide apps 4.x and 5.x send and parse, restated as
facts (each test names the client file whose behaviour it replays):
svn2github/aptoide-client, 4.2.4.1/Aptoide/src/cm/aptoide/pt/webservices/login/Login.java,
5.1.1/v5engine/src/main/java/cm/aptoide/ptdev/{Start.java, parser/handlers/HandlerInfoXml.java,
webservices/RepositoryChangeRequest.java, webservices/json/RepositoryChangeJson.java,
database/Database.java, InstalledAppsHelper.java}."""

from __future__ import annotations

import hashlib
from xml.etree import ElementTree

import pytest

from tests.conftest import needs_tool
from tests.helpers import PASSWORD, apksigner_sha1, auth, client_with, create_store, fixture, flush, make_developer, upload


@pytest.fixture
def anonymous(tmp_path, database_url, mailer):
    """A server with APKDEPOT_ANONYMOUS_READS on, as the apps need it."""
    with client_with(tmp_path, database_url, mailer, anonymous_reads=True) as client:
        yield client


def test_info_xml_version_is_one_the_5x_parser_accepts(client, svc):
    # HandlerInfoXml: `if (Integer.parseInt(<version>) < 7) throw new InvalidVersionException()`.
    token = make_developer(svc)[1]
    create_store(client, token)
    upload(client, token, "shop", "alpha-1.apk")
    flush(client)
    for url in ("/repo/shop/info.xml", "/repo/shop/info.xml?hash=" + "0" * 32):
        version = ElementTree.fromstring(client.get(url).content).findtext("repository/version")
        assert int(version) >= 7
    current = client.get("/repo/shop/info.xml", headers={"Accept-Encoding": "identity"}).headers["etag"].strip('"')
    delta = ElementTree.fromstring(client.get(f"/repo/shop/info.xml?hash={current}").content)
    assert int(delta.findtext("repository/version")) >= 7 and delta.findtext("repository/delta") == current
    # The index's own counter stays readable where the v7 client looks.
    assert client.get("/api/7/store/getMeta?store_name=shop").json()["data"]["version"] == 2


@needs_tool("apksigner")
def test_info_xml_signature_matches_what_5x_computes_for_the_installed_app(client, svc):
    # InstalledAppsHelper: SHA-1 hex of the signature, .toUpperCase(Locale.ENGLISH);
    # Database.getUpdates: `installed.signature = apk.signature` (case-sensitive in SQLite).
    token = make_developer(svc)[1]
    create_store(client, token)
    upload(client, token, "shop", "beta-10.apk")
    flush(client)
    expected = apksigner_sha1(fixture("beta-10.apk")).upper()
    index = ElementTree.fromstring(client.get("/repo/shop/info.xml").content)
    assert index.find("package").findtext("signature") == expected


def test_list_repository_change_as_5x_posts_it(anonymous):
    """RepositoryChangeRequest: POST form {mode=json, repo, hash} to /webservices/listRepositoryChange,
    no token; Start.java joins names and hashes with commas, and a store never parsed has a NULL
    hash that StringBuffer.append writes as "null". RepositoryChangeJson reads listing[].{appscount:
    Number, hasupdates: String, repo: String} and status: String."""
    token = make_developer(anonymous.svc)[1]
    create_store(anonymous, token, "shop")
    create_store(anonymous, token, "other")
    upload(anonymous, token, "shop", "alpha-1.apk")
    flush(anonymous)
    held = anonymous.get("/repo/other/info.xml", headers={"Accept-Encoding": "identity"}).headers["etag"].strip('"')
    response = anonymous.post("/webservices/listRepositoryChange",
                              data={"mode": "json", "repo": "shop,other", "hash": f"null,{held}"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "OK" and isinstance(body["status"], str)
    shop, other = body["listing"]
    assert shop == {"repo": "shop", "hasupdates": "TRUE", "appscount": 1}
    assert isinstance(shop["appscount"], int) and isinstance(shop["hasupdates"], str)
    assert other == {"repo": "other", "hasupdates": "FALSE"}


@pytest.mark.parametrize("held", ["null", "garbage", "", "0" * 31, "g" * 32])
def test_any_hash_that_is_not_32_hex_digits_is_an_unknown_one(anonymous, held):
    token = make_developer(anonymous.svc)[1]
    create_store(anonymous, token, "shop")
    body = anonymous.post("/webservices/listRepositoryChange",
                          data={"mode": "json", "repo": "shop,shop", "hash": f"{held},{held}"}).json()
    assert body["status"] == "OK"
    assert body["listing"] == [{"repo": "shop", "hasupdates": "TRUE", "appscount": 0}] * 2


@pytest.mark.parametrize("anonymous_reads", [False, True])
def test_anonymous_reads_are_a_setting_and_private_stores_still_need_their_owner(request, anonymous_reads):
    server = request.getfixturevalue("anonymous" if anonymous_reads else "client")
    token = make_developer(server.litestar.state.services)[1]
    create_store(server, token, "shop")
    create_store(server, token, "hidden", private=True, basic_user="u", basic_password="password1")
    flush(server)
    reads = {
        "listRepositoryChange": server.get("/webservices/2/listRepositoryChange/shop/" + "0" * 32 + "/json"),
        "getRepositoryInfo": server.get("/webservices/2/getRepositoryInfo/shop/json"),
        "listRepository": server.get("/webservices/2/listRepository/shop/json"),
        "listSearchApks": server.get("/webservices/2/listSearchApks/json", params={"search": "x"}),
        "getApkInfo": server.post("/webservices/3/getApkInfo", data={"repo": "shop", "identif": "package:a.b"}),
    }
    codes = {name: [e["code"] for e in r.json().get("errors", [])] for name, r in reads.items()}
    if not anonymous_reads:  # the default: the seed's "a Dev token will be required on all service requests"
        assert all(c[0] == "MARG-200" for c in codes.values()), codes
    else:
        assert codes == {"listRepositoryChange": [], "getRepositoryInfo": [], "listRepository": [],
                         "listSearchApks": [], "getApkInfo": ["APK-1"]}
        hidden = server.get("/webservices/2/getRepositoryInfo/hidden/json").json()
        assert hidden["errors"][0]["code"] == "IARG-1"
        assert server.get("/webservices/2/getRepositoryInfo/hidden/json", params={"token": token}).json()["status"] == "OK"
        bad = server.get("/webservices/2/getRepositoryInfo/shop/json", params={"token": "0" * 40}).json()
        assert bad["errors"][0]["code"] == "IARG-2"  # a token given is still checked
        # Writes and account services still need one.
        assert server.post("/webservices/2/uploadAppToRepo", data={"repo": "shop", "apk_md5sum": "0" * 32}
                           ).json()["errors"][0]["code"] == "MARG-200"
    docs = server.get("/webservices/docs").text
    if anonymous_reads:
        assert "APKDEPOT_ANONYMOUS_READS" not in docs and "need no token" in docs
    else:
        assert "APKDEPOT_ANONYMOUS_READS=true" in docs


def test_check_user_credentials_always_names_a_repo(client, svc):
    # Login.java (4.2.4.1): POST user, passhash, mode=json; then array.getString("repo"),
    # which throws (and fails the log-in) when the key is missing.
    make_developer(svc, "nostore@example.com")
    passhash = hashlib.sha1(PASSWORD.encode()).hexdigest()
    body = client.post("/webservices/checkUserCredentials",
                       data={"user": "nostore@example.com", "passhash": passhash, "mode": "json"}).json()
    assert body["status"] == "OK" and body["repo"] == ""
    token = body["token"]
    create_store(client, token, "mine")
    again = client.post("/webservices/checkUserCredentials",
                        data={"user": "nostore@example.com", "passhash": passhash, "mode": "json"}).json()
    assert again["repo"] == "mine"
    xml = client.post("/webservices/checkUserCredentials",
                      data={"user": "nostore@example.com", "passhash": passhash, "mode": "xml"}).text
    assert "<repo>mine</repo>" in xml
    assert auth(token)


@needs_tool("apksigner")
def test_get_apk_info_signature_is_the_6x_colon_form(client, svc):
    """Aptoide6/trunk AppViewActivity: signature.SHA1 of getApkInfo against the installed app's
    AptoideUtils.computeSHA1sumFromBytes(...).toUpperCase(), i.e. "5A:9D:…" (convToHexWithColon)."""
    token = make_developer(svc)[1]
    create_store(client, token)
    upload(client, token, "shop", "alpha-2.apk")
    flush(client)
    digest = apksigner_sha1(fixture("alpha-2.apk")).upper()
    installed_form = ":".join(digest[i:i + 2] for i in range(0, 40, 2))
    body = client.post("/webservices/3/getApkInfo", data={"token": token, "repo": "shop",
                                                          "identif": "package:org.apkdepot.alpha", "mode": "json"}).json()
    assert body["signature"]["SHA1"] == installed_form


def test_get_repository_info_is_all_text_as_5x_reads_it(anonymous):
    """GetRepositoryInfoRequest (5.1.1): GET /webservices/2/getRepositoryInfo/<store>/json with no token;
    RepositoryInfoJson.listing is RepositoryInfoListing, whose @Key fields are all String (avatar_hd,
    avatar, description, downloads, items, name, theme, view); AddStoreDialog stores avatar and items."""
    svc = anonymous.litestar.state.services
    token = make_developer(svc)[1]
    create_store(anonymous, token, "shop", description="Tools")
    upload(anonymous, token, "shop", "gamma-5.apk")
    flush(anonymous)
    listing = anonymous.get("/webservices/2/getRepositoryInfo/shop/json").json()["listing"]
    for key in ("avatar_hd", "avatar", "description", "downloads", "items", "name", "theme", "view"):
        assert isinstance(listing[key], str), key
    assert (listing["name"], listing["items"], listing["description"]) == ("shop", "1", "Tools")
    anonymous.put("/api/stores/shop/avatar", content=b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, headers=auth(token))
    flush(anonymous)
    listing = anonymous.get("/webservices/2/getRepositoryInfo/shop/json").json()["listing"]
    assert listing["avatar"] == "http://testserver.local/repo/shop/avatar"


def test_search_as_6x_posts_it(anonymous):
    """ListSearchApkRequest (Aptoide6/trunk): POST form {mode=json, search, options="(q=…;repo=a,b;lang=…;
    u_limit=4;limit=15;mature=0;)"} to /webservices/2/listSearchApks, no token; SearchJson reads
    results.{apks, u_apks: [{age, icon, md5sum, name, package, repo, signature, stars, timestamp, vercode,
    vername}], didyoumean: [String]} and status (Jackson, unknown properties ignored)."""
    svc = anonymous.litestar.state.services
    token = make_developer(svc)[1]
    for store, apk in (("mine", "alpha-2.apk"), ("theirs", "gamma-5.apk"), ("hidden", "gamma-6.apk")):
        extra = {"private": True, "basic_user": "u", "basic_password": "password1"} if store == "hidden" else {}
        create_store(anonymous, token, store, **extra)
        upload(anonymous, token, store, apk)
    flush(anonymous)
    options = "(q=nothing-yet;repo=mine;lang=pt;u_limit=4;limit=15;mature=0;)"
    body = anonymous.post("/webservices/2/listSearchApks",
                          data={"mode": "json", "search": "a", "options": options}).json()
    assert body["status"] == "OK"
    results = body["results"]
    assert [a["package"] for a in results["apks"]] == ["org.apkdepot.alpha"]
    assert [(a["repo"], a["package"]) for a in results["u_apks"]] == [("theirs", "org.apkdepot.gamma")]
    assert results["didyoumean"] == []
    apk = results["apks"][0]
    strings = ("age", "icon", "md5sum", "name", "package", "repo", "signature", "timestamp", "vername")
    assert all(isinstance(apk[k], str) for k in strings)
    assert isinstance(apk["vercode"], int) and isinstance(apk["stars"], (int, float))
    assert apk["vercode"] == 2 and apk["repo"] == "mine" and apk["icon"].endswith("/repo/mine/icons/org.apkdepot.alpha_2.png")
    # An explicit argument wins over the same one inside options.
    explicit = anonymous.post("/webservices/2/listSearchApks",
                              data={"mode": "json", "search": "a", "options": options, "repo": "theirs"}).json()
    assert [a["repo"] for a in explicit["results"]["apks"]] == ["theirs"]


def test_get_apk_info_as_6x_asks_it(anonymous):
    """GetApkInfoRequestFromMd5 / FromPackageName (Aptoide6/trunk): POST /webservices/3/getApkInfo with
    identif=md5sum:<md5> or package:<name>, repo only when the app knows it, options=(cmtlimit=5;
    payinfo=true;q=…;lang=…;), mode=json. GetApkInfoJson.Meta: developer is an object
    {info: {email, name, privacy_policy, website}}, downloads an int; signature.SHA1 a string."""
    svc = anonymous.litestar.state.services
    token = make_developer(svc)[1]
    create_store(anonymous, token, "shop")
    upload(anonymous, token, "shop", "beta-10.apk", apk_website="https://beta.example.org", apk_email="beta@example.org")
    flush(anonymous)
    md5 = hashlib.md5(fixture("beta-10.apk").read_bytes()).hexdigest()
    options = "(cmtlimit=5;payinfo=true;q=bWF4U2RrPTI4;lang=pt_PT;)"
    for identif in (f"md5sum:{md5}", "package:org.apkdepot.beta"):
        body = anonymous.post("/webservices/3/getApkInfo",
                              data={"identif": identif, "options": options, "mode": "json"}).json()
        assert body["status"] == "OK", body
        meta = body["meta"]
        assert meta["developer"] == {"info": {"name": "shop", "email": "beta@example.org",
                                              "website": "https://beta.example.org", "privacy_policy": ""}}
        assert isinstance(meta["downloads"], int)
        assert body["apk"]["repo"] == "shop" and body["apk"]["vercode"] == 10
        assert isinstance(body["signature"]["SHA1"], str)
    missing = anonymous.post("/webservices/3/getApkInfo", data={"identif": "md5sum:" + "0" * 32, "mode": "json"}).json()
    assert missing["errors"][0]["code"] == "APK-1"
    neither = anonymous.post("/webservices/3/getApkInfo", data={"mode": "json"}).json()
    assert neither["errors"][0]["code"] == "MARG-1"


@pytest.mark.parametrize("country_code", ["pt_BR", "pt_PT", "en_US", "de_"])
def test_local_apk_names_as_repo_locale_updater_reads_them(anonymous, country_code):
    """RepoLocaleUpdater (5.1.1/v5engine/.../parser/RepoLocaleUpdater.java): after parsing a store,
    GET webservices/listRepositoryLocalApkNames/<store>/<lang>_<COUNTRY>/xml (getMyCountryCode: the
    locale's language, "_", its country, which may be empty), no token; a SAX handler takes each
    <entry>'s <apkid> and <name> (by local name) and renames that package in its database."""
    token = make_developer(anonymous.svc)[1]
    create_store(anonymous, token)
    for name in ("alpha-2.apk", "beta-10.apk"):  # alpha-2's label has a pt-BR translation, "Alfa"
        upload(anonymous, token, "shop", name)
    flush(anonymous)
    response = anonymous.get(f"/webservices/listRepositoryLocalApkNames/shop/{country_code}/xml")
    assert response.status_code == 200
    names = {}
    for entry in ElementTree.fromstring(response.content).iter("entry"):
        names[entry.findtext("apkid")] = entry.findtext("name")
    # Only an exact translation (or one for the language alone) is used: pt_PT does not get pt-BR's.
    assert names == {"org.apkdepot.alpha": "Alfa" if country_code == "pt_BR" else "Alpha",
                     "org.apkdepot.beta": "Beta & Co <b>"}
    unknown = anonymous.get(f"/webservices/listRepositoryLocalApkNames/nowhere/{country_code}/xml")
    assert ElementTree.fromstring(unknown.content).findtext("status") == "FAIL"


def test_stores_on_their_own_host_names(tmp_path, database_url, mailer):
    """4.2.4.1 (configuration/Defaults.DOMAIN_APTOIDE_STORE, MainActivity: a store name typed in
    becomes http://<name>.store.aptoide.com/; MainService fetches server.url + info.xml, latest.xml
    and top.xml, the last two re-read when getLastModified moves). With APKDEPOT_STORE_DOMAIN the
    same addresses work on our domain."""
    with client_with(tmp_path, database_url, mailer, store_domain="store.example.com", anonymous_reads=True) as server:
        token = make_developer(server.svc)[1]
        create_store(server, token)
        for name in ("alpha-1.apk", "beta-10.apk", "gamma-5.apk"):
            upload(server, token, "shop", name)
        flush(server)
        host = {"Host": "shop.store.example.com", "Accept-Encoding": "identity"}
        on_domain = server.get("/info.xml", headers=host)
        assert on_domain.status_code == 200
        assert on_domain.content == server.get("/repo/shop/info.xml", headers={"Accept-Encoding": "identity"}).content
        for name in ("latest.xml", "top.xml"):
            listing = server.get(f"/{name}", headers=host)
            assert listing.status_code == 200 and listing.headers["last-modified"].endswith("GMT")
            root = ElementTree.fromstring(listing.content)
            assert root.tag == "apklst" and root.findtext("repository/name") == "shop"
            assert sorted(p.findtext("apkid") for p in root.iter("package")) == [
                "org.apkdepot.alpha", "org.apkdepot.beta", "org.apkdepot.gamma"]
        # The files info.xml names, from the store's host as well.
        path = ElementTree.fromstring(on_domain.content).find("package").findtext("path")
        assert server.get(f"/apk/{path}", headers=host).status_code == 200
        # Another store's host is that store; an unknown one is "no such store"; the site is unchanged.
        assert server.get("/info.xml", headers={"Host": "nowhere.store.example.com"}).status_code == 404
        assert server.get("/webservices/docs", headers=host).status_code == 200
        assert server.get("/info.xml", headers={"Host": "a.b.store.example.com"}).status_code == 404
        # Hosts outside the domain are still refused.
        assert server.get("/info.xml", headers={"Host": "shop.elsewhere.example.com"}).status_code == 400


@pytest.mark.parametrize("store_domain", ["", "store.example.com"])
def test_docs_tell_how_the_apps_reach_stores_and_log_in(tmp_path, database_url, mailer, store_domain):
    with client_with(tmp_path, database_url, mailer, store_domain=store_domain) as server:
        for lang, words in (("en", "own host name"), ("pt-BR", "próprio nome de host")):
            docs = server.get("/webservices/docs", params={"lang": lang}).text
            assert words in docs and "oauth2Authentication" in docs
            if store_domain:
                assert "http://STORE.store.example.com/info.xml" in docs
            else:
                assert "APKDEPOT_STORE_DOMAIN=DOMAIN" in docs
            assert "another name of apps/get" in docs or "outro nome de apps/get" in docs
        alias = server.get("/webservices/docs/7/listApps").text
        assert 'href="/webservices/docs/7/apps/get"' in alias


def test_node_aptoide_details_and_download(anonymous):
    """dweinstein/node-aptoide (get-apk-info.js, bin/download.js; it is not on npm, so restated):
    POST form {identif: "package:<id>", mode: "json"} to <url>/webservices/3/getApkInfo with
    User-Agent "Android" and no token; JSON.parse the body; then GET info.apk.path with gzip
    accepted and an empty User-Agent, and write the bytes out."""
    token = make_developer(anonymous.svc)[1]
    create_store(anonymous, token)
    upload(anonymous, token, "shop", "beta-10.apk")
    flush(anonymous)
    info = anonymous.post("/webservices/3/getApkInfo", data={"identif": "package:org.apkdepot.beta", "mode": "json"},
                          headers={"User-Agent": "Android"})
    assert info.status_code == 200
    path = info.json()["apk"]["path"]
    apk = anonymous.get(path.removeprefix("http://testserver.local"), headers={"Accept-Encoding": "gzip", "User-Agent": ""})
    assert apk.status_code == 200
    assert hashlib.md5(apk.content).hexdigest() == info.json()["apk"]["md5sum"] == hashlib.md5(fixture("beta-10.apk").read_bytes()).hexdigest()
