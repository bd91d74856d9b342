"""Per-token limits of the app list API (20/minute, 100/day) on every counter
storage, shared between server instances and kept across restarts."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from apkdepot.app import create_app
from apkdepot.services import build_services
from tests.conftest import RecordingMailer, make_settings
from tests.helpers import make_developer
from tests.mng.test_app_list import api_token, bulk_apps

DAY_START = 1_700_006_400  # a UTC midnight, so minute and day windows start together

STORAGES = [pytest.param(("sql", "sqlite"), id="sql-sqlite"),
            pytest.param(("sql", "postgresql"), id="sql-postgresql", marks=pytest.mark.postgres),
            pytest.param(("redis", "sqlite"), id="redis", marks=pytest.mark.redis)]


class Clock:
    def __init__(self) -> None:
        self.now = DAY_START + 0.5

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def instance(request, tmp_path):
    """Starts server instances that share one database (and Redis when asked),
    each with its own limiter, as separate processes would."""
    storage, backend = request.param
    database_url = request.getfixturevalue("database_url") if backend == "sqlite" else request.getfixturevalue("postgres_database")
    if backend == "postgresql":
        from tests.conftest import _empty_postgres

        _empty_postgres(database_url)
    redis_url = request.getfixturevalue("redis_url") if storage == "redis" else ""
    clock = Clock()
    opened = []

    def start():
        svc = build_services(make_settings(tmp_path, database_url, redis_url=redis_url), mailer=RecordingMailer())
        svc.limiter.clock = clock
        if hasattr(svc.limiter.storage, "clock"):
            svc.limiter.storage.clock = clock
        client = TestClient(create_app(services=svc), base_url="http://testserver.local")
        client.__enter__()
        opened.append((client, svc))
        return client, svc

    yield start, clock
    for client, svc in opened:
        client.__exit__(None, None, None)
        svc.close()


def get(client, token):
    return client.get("/api/mng/apps", headers={"Authorization": f"Bearer {token}"})


def setup_token(client, svc) -> str:
    developer, dev_token = make_developer(svc)
    bulk_apps(svc, developer.id, 3)
    return api_token(client, dev_token)["token"]


@pytest.mark.parametrize("instance", STORAGES, indirect=True)
def test_21st_request_in_a_minute(instance):
    start, clock = instance
    client, svc = start()
    token = setup_token(client, svc)
    for i in range(20):
        response = get(client, token)
        assert response.status_code == 200
        assert response.headers["ratelimit-policy"] == '"20-per-60s";q=20;w=60, "100-per-86400s";q=100;w=86400'
        assert response.headers["ratelimit"] == f'"20-per-60s";r={19 - i};t={60 - i}'
        clock.now += 1
    blocked = get(client, token)
    assert blocked.status_code == 429
    assert blocked.headers["retry-after"] == "40"
    assert blocked.headers["ratelimit"] == '"20-per-60s";r=0;t=40'
    assert blocked.json() == {"errors": [{"status": "429", "title": "Too Many Requests", "code": "RATE-1",
                                          "detail": "Too many requests, try again in 40 seconds"}]}
    clock.now += 40
    assert get(client, token).status_code == 200


@pytest.mark.parametrize("instance", STORAGES, indirect=True)
def test_101st_request_in_a_day_and_two_instances_share_the_count_across_a_restart(instance):
    start, clock = instance
    first, svc = start()
    second, _ = start()
    token = setup_token(first, svc)
    for i in range(60):
        assert get(first if i % 2 else second, token).status_code == 200, i
        if i % 20 == 19:
            clock.now += 60
    # A restart: fresh instances, same storage.
    third, _ = start()
    for i in range(40):
        assert get(third, token).status_code == 200, i
        if i % 20 == 19:
            clock.now += 60
    blocked = get(third, token)
    assert blocked.status_code == 429
    assert blocked.headers["ratelimit"].startswith('"100-per-86400s";r=0;')
    assert int(blocked.headers["retry-after"]) == DAY_START + 86400 - int(clock.now)
    clock.now = DAY_START + 86400 + 1
    assert get(first, token).status_code == 200


@pytest.mark.parametrize("instance", STORAGES, indirect=True)
def test_counts_are_per_token(instance):
    start, clock = instance
    client, svc = start()
    developer, dev_token = make_developer(svc)
    bulk_apps(svc, developer.id, 1)
    one, two = api_token(client, dev_token)["token"], api_token(client, dev_token, "other")["token"]
    for _ in range(20):
        get(client, one)
    assert get(client, one).status_code == 429
    assert get(client, two).status_code == 200
