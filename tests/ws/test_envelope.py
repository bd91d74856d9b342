"""The web-service envelope (PROTOCOL §1): formats, request styles, error
generations, validation order, and bad input that must never become a 500."""

from __future__ import annotations

import pytest

from apkdepot import errors
from apkdepot.api.ws.registry import MODE_PARAM, REGISTRY, TOKEN_PARAM, WsEndpoint, WsParam, register
from tests.helpers import PASSWORD, make_developer, sha1

XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'


@pytest.fixture
def echo_endpoint():
    """A token-protected service with one required argument, like the documented
    example (token + repo): exercises the shared mechanism on its own."""

    def handler(call):
        return {"listing": [{"repo": call.get("repo"), "flag": True}], "note": call.get("note") or None}

    register(WsEndpoint(name="echoRepo", title="echo", description="echo", handler=handler,
                        params=(TOKEN_PARAM, WsParam("repo", "repo", missing=errors.MISSING_REPO),
                                WsParam("note", "note", max_length=20), MODE_PARAM),
                        path_params=("repo",)))
    yield
    del REGISTRY["echoRepo"]


@pytest.fixture
def token(svc):
    return make_developer(svc)[1]


# --- golden envelopes ------------------------------------------------------------

def test_documented_example_gen1_xml_two_errors_token_first(client, echo_endpoint):
    response = client.get("/webservices/echoRepo/xml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert response.text == (XML_DECL + "<response><status>FAIL</status><errors>"
                             "<entry>Missing token parameter</entry><entry>Missing repo parameter</entry>"
                             "</errors></response>")


def test_documented_example_gen1_json(client, echo_endpoint):
    response = client.get("/webservices/echoRepo/json")
    assert response.headers["content-type"] == "application/json"
    assert response.text == '{"status":"FAIL","errors":["Missing token parameter","Missing repo parameter"]}'


@pytest.mark.parametrize("generation", ["2", "3"])
def test_coded_errors_gen2_and_gen3(client, echo_endpoint, generation):
    xml = client.get(f"/webservices/{generation}/echoRepo/xml").text
    assert xml == (XML_DECL + "<response><status>FAIL</status><errors>"
                   "<entry><code>MARG-200</code><msg>Missing token parameter</msg></entry>"
                   "<entry><code>MARG-1</code><msg>Missing repo parameter</msg></entry>"
                   "</errors></response>")
    assert client.get(f"/webservices/{generation}/echoRepo/json").json() == {
        "status": "FAIL",
        "errors": [{"code": "MARG-200", "msg": "Missing token parameter"},
                   {"code": "MARG-1", "msg": "Missing repo parameter"}]}


def test_invalid_token_comes_first_too(client, echo_endpoint):
    body = client.get("/webservices/2/echoRepo/json", params={"token": "f" * 40}).json()
    assert [e["code"] for e in body["errors"]] == ["IARG-2", "MARG-1"]


def test_ok_envelope_has_no_errors_key(client, echo_endpoint, token):
    xml = client.get("/webservices/echoRepo/my-repo/xml", params={"token": token}).text
    assert xml == (XML_DECL + "<response><status>OK</status><listing><entry><repo>my-repo</repo>"
                   "<flag>TRUE</flag></entry></listing></response>")
    body = client.get("/webservices/2/echoRepo/my-repo/json", params={"token": token}).json()
    assert body == {"status": "OK", "listing": [{"repo": "my-repo", "flag": True}]}
    assert "errors" not in body


def test_json_is_the_default_format(client, echo_endpoint, token):
    response = client.get("/webservices/echoRepo", params={"token": token, "repo": "r"})
    assert response.headers["content-type"] == "application/json"
    assert response.json()["status"] == "OK"


# --- request styles ----------------------------------------------------------------

def test_post_form_with_mode(client, echo_endpoint, token):
    response = client.post("/webservices/2/echoRepo", data={"token": token, "repo": "r", "mode": "xml"})
    assert response.text.startswith(XML_DECL + "<response><status>OK</status>")


def test_post_json_body_with_mode(client, echo_endpoint, token):
    response = client.post("/webservices/2/echoRepo", json={"token": token, "repo": "r", "mode": "json"})
    assert response.json()["listing"][0]["repo"] == "r"


def test_bearer_header_carries_the_token(client, echo_endpoint, token):
    response = client.get("/webservices/3/echoRepo/r/json", headers={"Authorization": f"Bearer {token}"})
    assert response.json()["status"] == "OK"


def test_messages_follow_the_language(client, echo_endpoint):
    body = client.get("/webservices/2/echoRepo/json", headers={"Accept-Language": "pt-BR"}).json()
    assert body["errors"] == [{"code": "MARG-200", "msg": "Parâmetro token ausente"},
                              {"code": "MARG-1", "msg": "Parâmetro repo ausente"}]
    body = client.get("/webservices/echoRepo/json", params={"lang": "pt_BR"}).json()
    assert body["errors"][0] == "Parâmetro token ausente"


# --- bad input ------------------------------------------------------------------------

def test_unknown_endpoint_is_404_with_a_fail_envelope(client):
    response = client.get("/webservices/2/noSuchThing/xml")
    assert response.status_code == 404
    assert "<code>WS-1</code>" in response.text
    assert client.get("/webservices/nothing/json").json() == {"status": "FAIL", "errors": ["Unknown web service: nothing"]}


def test_unknown_mode(client, echo_endpoint, token):
    body = client.post("/webservices/2/echoRepo", data={"token": token, "repo": "r", "mode": "yaml"}).json()
    assert body == {"status": "FAIL", "errors": [{"code": "IARG-100", "msg": "Invalid mode parameter: use 'xml' or 'json'"}]}


def test_malformed_json_body(client, echo_endpoint, token):
    response = client.post("/webservices/2/echoRepo", content=b'{"token": ', headers={"content-type": "application/json"})
    # A body that cannot be read into arguments is an HTTP-level 400 (still in the envelope).
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == ["MARG-200", "IARG-103", "MARG-1"]


def test_json_body_that_is_not_an_object(client, echo_endpoint):
    response = client.post("/webservices/2/echoRepo", json=[1, 2])
    assert response.status_code == 400
    assert "IARG-103" in [e["code"] for e in response.json()["errors"]]


def test_wrong_json_types(client, echo_endpoint, token):
    body = client.post("/webservices/2/echoRepo", json={"token": token, "repo": {"x": 1}}).json()
    assert [e["code"] for e in body["errors"]] == ["IARG-102", "MARG-1"]


def test_huge_field(client, echo_endpoint, token):
    body = client.post("/webservices/2/echoRepo", data={"token": token, "repo": "r", "note": "n" * 5000}).json()
    assert body["errors"] == [{"code": "IARG-104", "msg": "Parameter note is too long"}]


def test_huge_body_is_refused_in_the_envelope(client, echo_endpoint, svc):
    size = svc.settings.max_form_bytes + 10
    response = client.post("/webservices/2/echoRepo/xml", content=b"a=" + b"x" * size,
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert "<code>WS-3</code>" in response.text


@pytest.mark.parametrize("where", ["query", "body", "path"])
def test_non_utf8_input(client, echo_endpoint, token, where):
    if where == "query":
        response = client.get(f"/webservices/2/echoRepo/json?token={token}&repo=%ff%fe")
    elif where == "body":
        response = client.post("/webservices/2/echoRepo", content=b"token=" + token.encode() + b"&repo=%ff",
                               headers={"content-type": "application/x-www-form-urlencoded"})
    else:
        response = client.get(f"/webservices/2/echoRepo/%ff%fe/json?token={token}")
    # Arguments that are not UTF-8 cannot be read at all: HTTP 400, in the envelope.
    assert response.status_code == 400
    assert response.json()["status"] == "FAIL"
    assert "IARG-101" in [e["code"] for e in response.json()["errors"]]


def test_extra_path_segments_are_not_a_url_of_the_endpoint(client, echo_endpoint, token):
    response = client.get(f"/webservices/2/echoRepo/a/b/c/d/json?token={token}")
    assert response.status_code == 404


def test_get_only_endpoints_refuse_other_methods(client):
    response = client.get("/webservices/2/checkUserCredentials/json")
    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "WS-2"


def test_control_characters_never_break_the_xml(client, echo_endpoint, token):
    import xml.dom.minidom

    response = client.get("/webservices/echoRepo/xml", params={"token": token, "repo": "a\x01<b>&\x1f"})
    document = xml.dom.minidom.parseString(response.content)
    assert document.getElementsByTagName("repo")[0].firstChild.data == "a<b>&"


# --- account services ------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["/webservices", "/webservices/2"])
def test_check_user_credentials(client, svc, prefix):
    _, token = make_developer(svc, "dev@example.com", name="Dev One")
    body = client.post(f"{prefix}/checkUserCredentials", data={"user": "dev@example.com", "passhash": sha1(PASSWORD)}).json()
    assert body == {"status": "OK", "token": token, "username": "Dev One", "repo": ""}
    xml = client.post(f"{prefix}/checkUserCredentials",
                      data={"user": "DEV@example.com", "passhash": sha1(PASSWORD).upper(), "mode": "xml"}).text
    assert xml == (XML_DECL + f"<response><status>OK</status><token>{token}</token>"
                   "<username>Dev One</username><repo></repo></response>")


def test_check_user_credentials_failures(client, svc):
    make_developer(svc, "dev@example.com")
    wrong = client.post("/webservices/2/checkUserCredentials", data={"user": "dev@example.com", "passhash": sha1("nope")})
    assert wrong.json() == {"status": "FAIL", "errors": [{"code": "AUTH-1", "msg": "Invalid user credentials"}]}
    unknown = client.post("/webservices/2/checkUserCredentials", data={"user": "x@example.com", "passhash": sha1(PASSWORD)})
    assert unknown.json() == wrong.json()
    plain = client.post("/webservices/checkUserCredentials", data={"user": "dev@example.com", "passhash": "not-hex"})
    assert plain.json() == {"status": "FAIL", "errors": ["Invalid user credentials"]}
    missing = client.post("/webservices/2/checkUserCredentials", data={}).json()
    assert [e["code"] for e in missing["errors"]] == ["MARG-201", "MARG-202"]


def test_regenerate_token_invalidates_the_old_one_at_once(client, svc):
    _, token = make_developer(svc)
    body = client.post("/webservices/2/regenerateToken", data={"token": token}).json()
    new = body["token"]
    assert body["status"] == "OK" and new != token and len(new) == 40
    again = client.post("/webservices/2/regenerateToken", data={"token": token}).json()
    assert again == {"status": "FAIL", "errors": [{"code": "IARG-2", "msg": "Invalid token"}]}
    credentials = client.post("/webservices/2/checkUserCredentials",
                              data={"user": "dev@example.com", "passhash": sha1(PASSWORD)}).json()
    assert credentials["token"] == new


def test_check_user_credentials_names_the_first_store_and_its_avatar(client, svc):
    from tests.helpers import auth, create_store

    _, token = make_developer(svc, "dev@example.com", name="Dev One")
    create_store(client, token, "first-shop")
    create_store(client, token, "second-shop")
    body = client.post("/webservices/2/checkUserCredentials", data={"user": "dev@example.com", "passhash": sha1(PASSWORD)}).json()
    assert body["repo"] == "first-shop" and "avatar" not in body
    client.put("/api/stores/first-shop/avatar", content=b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, headers=auth(token))
    body = client.post("/webservices/2/checkUserCredentials", data={"user": "dev@example.com", "passhash": sha1(PASSWORD)}).json()
    assert body["avatar"] == "http://testserver.local/repo/first-shop/avatar"
