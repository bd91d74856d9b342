"""Shared fixtures.

Backends: SQLite always; PostgreSQL when APKDEPOT_TEST_POSTGRES_URL is set;
Redis when APKDEPOT_TEST_REDIS_URL is set. With APKDEPOT_TEST_REQUIRE_SERVICES=1
(CI), an unreachable PostgreSQL or Redis fails the run instead of skipping."""

from __future__ import annotations

import os
import shutil
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from apkdepot.config import Settings
from apkdepot.db.engine import make_engine
from apkdepot.db.migrate import upgrade
from apkdepot.db.schema import metadata
from apkdepot.services import Services, build_services

POSTGRES_URL = os.environ.get("APKDEPOT_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("APKDEPOT_TEST_REDIS_URL", "")
REQUIRE_SERVICES = os.environ.get("APKDEPOT_TEST_REQUIRE_SERVICES") == "1"

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def unavailable(what: str, why: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (APKDEPOT_TEST_REQUIRE_SERVICES=1) but unavailable: {why}")
    pytest.skip(f"{what} not configured or unreachable: {why}")


# System tools some tests need (installed by scripts/install-system-deps): a
# name on PATH, or an absolute path. Missing ones skip locally and fail in CI.
TOOL_PATHS = {"framework-res": "/usr/share/android-framework-res/framework-res.apk", "chromium": "/usr/bin/chromium",
              "nginx": "/usr/sbin/nginx"}


def tool_missing(name: str) -> bool:
    path = TOOL_PATHS.get(name)
    return not Path(path).exists() if path else shutil.which(name) is None


def needs_tool(*names: str):
    """Marks a test that needs these system tools (see TOOL_PATHS)."""
    return pytest.mark.needs_tool(*names)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_tool(*names): needs these system tools (fails in CI when missing)")


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("needs_tool"):
        missing = [name for name in mark.args if tool_missing(name)]
        if missing:
            unavailable(", ".join(missing), "not installed: run scripts/install-system-deps")


class RecordingMailer:
    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)

    def last_body(self) -> str:
        return self.sent[-1].get_content()


_INSPECTIONS: dict = {}


@pytest.fixture(autouse=True)
def remembered_inspections(monkeypatch):
    """Inspecting an APK is a pure function of its bytes and the limits, and
    costs a process start: each distinct file is inspected for real once per
    session, and its answer (or refusal) reused. tests/apk/ tests the sandbox itself."""
    import hashlib

    from apkdepot.apk.info import ApkRejected
    from apkdepot.catalog import publishing

    real = publishing.inspect_upload

    def remembered(svc, path):
        key = (hashlib.sha256(Path(path).read_bytes()).hexdigest(), svc.inspector.limits)
        if key not in _INSPECTIONS:
            try:
                _INSPECTIONS[key] = real(svc, path)
            except ApkRejected as rejected:
                _INSPECTIONS[key] = rejected
        answer = _INSPECTIONS[key]
        if isinstance(answer, ApkRejected):
            raise ApkRejected(answer.reason, answer.detail)
        return answer

    monkeypatch.setattr(publishing, "inspect_upload", remembered)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """One throw-away database for the session, migrated once."""
    if not POSTGRES_URL:
        unavailable("PostgreSQL", "APKDEPOT_TEST_POSTGRES_URL is not set")
    name = f"apkdepot_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        unavailable("PostgreSQL", str(exc).splitlines()[0])
    url = sa.engine.make_url(make_engine(POSTGRES_URL).url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    engine.dispose()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    backend = getattr(request, "param", "sqlite")
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_database")
        _empty_postgres(url)
        return url
    path = tmp_path / "apkdepot.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


def make_settings(tmp_path: Path, database_url: str, **overrides) -> Settings:
    values = dict(data_dir=tmp_path / "data", database_url=database_url, password_memory_kib=1024,
                  public_url="http://testserver.local", log_json=True, background=False)
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def mailer() -> RecordingMailer:
    return RecordingMailer()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def svc(settings: Settings, mailer: RecordingMailer) -> Iterator[Services]:
    services = build_services(settings, mailer=mailer)
    yield services
    services.close()


@pytest.fixture
def client(svc: Services):
    from litestar.testing import TestClient

    from apkdepot.app import create_app

    app = create_app(services=svc)
    with TestClient(app, base_url="http://testserver.local") as test_client:
        test_client.litestar = app.app  # behind the hot path: the middleware, then the app
        yield test_client


@pytest.fixture
def redis_url() -> Iterator[str]:
    if not REDIS_URL:
        unavailable("Redis", "APKDEPOT_TEST_REDIS_URL is not set")
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable("Redis", str(exc))
    prefix_db = REDIS_URL
    yield prefix_db
    for key in client.scan_iter("apkdepot:rl:*"):
        client.delete(key)
    client.close()
