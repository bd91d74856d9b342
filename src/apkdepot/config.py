"""The one settings object. Every value comes from an ``APKDEPOT_*`` environment
variable or a CLI flag; the defaults are the embedded set-up (SQLite and local
files under the data directory), so a bare ``apkdepot serve`` just works."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

ENV_PREFIX = "APKDEPOT_"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("./data")
    database_url: str = ""  # empty: SQLite at <data_dir>/apkdepot.sqlite3
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    # Public address clients reach us at; used in absolute links (info.xml paths,
    # confirmation mails, pagination links). Empty: derived from each request.
    public_url: str = ""
    smtp_url: str = ""  # empty: mails go to <data_dir>/outbox
    mail_from: str = "ApkDepot <no-reply@apkdepot.localhost>"
    redis_url: str = ""  # empty: rate-limit counters live in the database
    confirm_link_ttl_seconds: int = 48 * 3600
    reset_link_ttl_seconds: int = 2 * 3600
    session_ttl_seconds: int = 14 * 24 * 3600
    # Sign-up and log-in throttling: attempts per window, per address and per client IP.
    signup_per_ip: int = 20
    signup_per_address: int = 5
    login_per_ip: int = 60
    login_per_address: int = 10
    auth_window_seconds: int = 900
    max_field_length: int = 1000
    max_form_bytes: int = 1024 * 1024
    # HMAC key that dev tokens are derived from. Empty: a random key kept in
    # <data_dir>/secret.key. Set it (the same everywhere) when several hosts share a database.
    secret_key: str = ""
    password_memory_kib: int = 65536
    log_json: bool = True
    demo: bool = False

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'apkdepot.sqlite3').resolve()}"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _coerce(raw: str, target: type | str) -> Any:
    kind = target if isinstance(target, str) else target.__name__
    if kind in ("int",):
        return int(raw)
    if kind in ("bool",):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if kind in ("Path",):
        return Path(raw)
    return raw


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from the environment, then explicit overrides (CLI flags) on top."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        raw = environ.get(ENV_PREFIX + f.name.upper())
        if raw is not None and raw != "":
            values[f.name] = _coerce(raw, f.type)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
