import logging

import pytest

from apkdepot.observability.middleware import flush_access_log

from tests.helpers import make_developer


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "OK"


def test_metrics_count_routes_statuses_and_error_codes(client):
    client.get("/healthz")
    client.get("/webservices/2/regenerateToken/json")
    client.get("/webservices/2/some-attacker-chosen-name/json")
    text = client.get("/metrics").text
    assert 'route="/healthz",method="GET",status="200"' in text
    assert 'route="/webservices/2/regenerateToken",method="GET",status="405"' in text
    assert 'route="/webservices/2/<unknown>"' in text and "attacker" not in text
    assert 'apkdepot_errors_total{' in text and 'code="WS-1"' in text
    assert "apkdepot_http_request_duration_seconds_bucket" in text


def test_hot_path_requests_are_labelled_by_route(client):
    import re

    def unmatched(text: str) -> int:
        # Counters are per process: other tests' unrouted requests count here too.
        return sum(int(n) for n in re.findall(r'apkdepot_http_requests_total\{[^}]*route="unmatched"[^}]*\} (\d+)', text))

    before = unmatched(client.get("/metrics").text)
    client.get("/repo/none/info.xml")
    client.get("/api/7/store/getMeta/store_name=none")
    text = client.get("/metrics").text
    assert 'route="/repo/{store_name}/info.xml",method="GET",status="404"' in text
    assert 'route="/api/7/store/getMeta",method="GET",status="404"' in text
    assert unmatched(text) == before


def test_openapi_schema_lists_every_route(client):
    from apkdepot.api.v7.dispatch import V7_REGISTRY
    from apkdepot.api.ws.registry import REGISTRY

    schema = client.get("/schema/openapi.json").json()
    paths = schema["paths"]
    for path in ("/healthz", "/metrics", "/api/accounts/register", "/api/accounts/login", "/api/stores",
                 "/api/mng/apps", "/api/tokens", "/repo/{store_name}/info.xml", "/fdroid/{store_name}/repo/{rest}"):
        assert path in paths, path
    for name, endpoint in REGISTRY.items():
        for generation in endpoint.generations:
            path = f"/webservices/{'' if generation == 1 else f'{generation}/'}{name}"
            assert set(paths[path]) == {m.lower() for m in endpoint.methods}, path
    for name in V7_REGISTRY:
        assert f"/api/7/{name}" in paths
    assert "/webservices/{rest}" not in paths and "/api/7/{rest}" not in paths
    assert paths["/webservices/listRepositoryChange"]["get"]["deprecated"] is True


def test_request_logs_are_structured_and_carry_no_secrets(client, svc, capfd, caplog):
    import json

    _, token = make_developer(svc)
    capfd.readouterr()
    with caplog.at_level(logging.INFO, logger="apkdepot"):
        client.get(f"/webservices/2/regenerateToken/json?token={token}")
        client.get(f"/webservices/2/listRepositoryChange/r/{'0' * 32}/json?token={token}")
        client.post("/api/accounts/login", json={"email": "dev@example.com", "password": "s3cret-pass"})
    flush_access_log()  # lines are written in batches
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if '"apkdepot.access"' in line]
    assert [(e["method"], e["route"], e["status"]) for e in lines] == [
        ("GET", "/webservices/2/regenerateToken", 405), ("GET", "/webservices/2/listRepositoryChange", 200),
        ("POST", "/api/accounts/login", 200)]
    assert all({"ts", "request_id", "duration_ms"} <= set(e) for e in lines)
    # Neither the access lines nor any other server log carries the token or the password.
    text = json.dumps(lines) + " ".join(r.getMessage() + str(vars(r)) for r in caplog.records if r.name.startswith("apkdepot"))
    assert token not in text and "s3cret-pass" not in text


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "SYS-2"


@pytest.mark.parametrize("body,code", [(b"\xff\xfe", "IARG-101"), (b"{", "IARG-103"), (b"[]", "IARG-103"),
                                       (b'"x"', "IARG-103")])
def test_api_bad_bodies_are_clear_fails(client, body, code):
    response = client.post("/api/accounts/register", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == [code]


def test_api_huge_field(client, svc):
    response = client.post("/api/accounts/register", json={"email": "x" * (svc.settings.max_field_length + 1)})
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "IARG-104"


def test_server_processes_keep_full_collections_off_the_loaded_catalog(svc):
    """Full garbage collections over the loaded catalog and caches stopped the
    event loop for up to 235 ms; a server process freezes what it loaded and
    makes them rarer (app.quiet_garbage_collector). Other uses leave GC alone."""
    import gc

    from litestar.testing import TestClient

    from apkdepot.app import create_app

    threshold = gc.get_threshold()
    try:
        with TestClient(create_app(services=svc), base_url="http://testserver.local"):
            assert gc.get_threshold() == threshold
        with TestClient(create_app(services=svc, server_process=True), base_url="http://testserver.local") as client:
            assert client.get("/healthz").status_code == 200
            assert gc.get_freeze_count() > 0 and gc.get_threshold() == (10_000, 20, 100)
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
