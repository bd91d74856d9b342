"""The one settings object. Every value comes from an ``APKDEPOT_*`` environment
variable or a CLI flag; the defaults are the embedded set-up (SQLite and local
files under the data directory), so a bare ``apkdepot serve`` just works."""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
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
    # Host names answered at all (comma-separated; ".example.org" includes its
    # subdomains; "*" answers every host). Empty: the listen address, localhost
    # and the public URL's host. A request for any other host gets 400.
    allowed_hosts: str = ""
    # Per-store host names, as the 4.x–6.x apps address stores: with
    # store.example.com, http://shop.store.example.com/info.xml is /repo/shop/info.xml.
    store_domain: str = ""
    # Peers (addresses or networks, comma-separated) whose X-Forwarded-Proto is
    # believed: links and the session cookie's Secure flag follow it.
    trusted_proxies: str = ""
    # Reads of public stores (listRepositoryChange, getRepositoryInfo,
    # listRepository, getApkInfo, listSearchApks) without a dev token, as the
    # Aptoide clients make them. Off by default: the web services documentation
    # asks for a token on every request.
    anonymous_reads: bool = False
    # /metrics: open when empty; otherwise it needs "Authorization: Bearer <this>".
    metrics_token: str = ""
    smtp_url: str = ""  # empty: mails go to <data_dir>/outbox
    smtp_ca_file: str = ""  # extra CA certificates (PEM) to trust for the SMTP server's TLS
    mail_from: str = "ApkDepot <no-reply@apkdepot.localhost>"
    # Where people can write to whoever runs this server (shown on every page and at sign-up).
    contact_email: str = ""
    # Operators must have turned on the TOTP second factor before /api/admin and /admin answer them.
    require_operator_totp: bool = False
    # A mail to the account on every password log-in, with when and from which address.
    login_notifications: bool = False
    # The terms of use shown at /terms and agreed to at sign-up: a Markdown file of
    # the operator's. Empty: the built-in general terms.
    terms_file: str = ""
    redis_url: str = ""  # empty: rate-limit counters live in the database
    # Webhooks (webhooks.py) go to public https addresses only. These let them go
    # to plain http and to private, loopback or link-local addresses: for a server
    # on a closed network (and the tests); never on a server open to sign-ups.
    webhook_allow_http: bool = False
    webhook_allow_private: bool = False
    # Each server process sends due webhook deliveries (off: none is sent by this process).
    webhook_sender: bool = True
    # The pause after a failed delivery; it doubles with each try (at most 6 h, 8 tries).
    webhook_first_retry_seconds: int = 30
    confirm_link_ttl_seconds: int = 48 * 3600
    reset_link_ttl_seconds: int = 2 * 3600
    session_ttl_seconds: int = 14 * 24 * 3600
    oauth_access_ttl_seconds: int = 3600  # access tokens of the apps' OAuth log-in
    oauth_refresh_ttl_seconds: int = 90 * 24 * 3600  # their refresh tokens
    # Sign-up and log-in throttling: attempts per window, per address and per client IP.
    signup_per_ip: int = 20
    signup_per_address: int = 5
    login_per_ip: int = 60
    login_per_address: int = 10
    auth_window_seconds: int = 900
    max_field_length: int = 4000  # the longest text field any endpoint documents
    max_form_bytes: int = 1024 * 1024
    # HMAC key that dev tokens are derived from. Empty: a random key kept in
    # <data_dir>/secret.key. Set it (the same everywhere) when several hosts share a database.
    secret_key: str = ""
    password_memory_kib: int = 65536
    # Blob storage: a local directory under the data dir unless a bucket is named.
    s3_bucket: str = ""
    s3_prefix: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    # Uploads and their inspection.
    max_apk_bytes: int = 256 * 1024 * 1024
    max_inflated_bytes: int = 1024 * 1024 * 1024  # all entries of one APK, uncompressed
    inspect_memory_bytes: int = 1024 * 1024 * 1024  # per inspector process (address space)
    inspect_cpu_seconds: int = 20  # per file
    inspect_wall_seconds: int = 60  # per file
    # Inspector processes per server process, uploads that may wait for one
    # (one more is refused with 503), and files a process serves before it is replaced.
    inspect_workers: int = 2
    inspect_queue: int = 8
    inspect_files_per_worker: int = 50
    # Uploads (files inspected) per developer per hour; 0: unlimited.
    uploads_per_hour: int = 120
    # Refuse APKs signed with v1 (JAR) only when their minSdkVersion is 24 or
    # more: every device they install on verifies v2, so v1-only is a downgrade.
    refuse_v1_only: bool = True
    # Memory budgets of each server process's caches, in bytes (defaults: 128 MiB
    # per worker in all, so two workers with their index snapshots fit in 1 GiB).
    answer_cache_bytes: int = 32 * 1024 * 1024  # pre-encoded hot-path answers
    delta_cache_bytes: int = 48 * 1024 * 1024  # info.xml deltas (when not on local disk) and change counters
    file_cache_bytes: int = 32 * 1024 * 1024  # F-Droid index files
    listing_cache_bytes: int = 16 * 1024 * 1024  # listing orders (8 bytes per app and sort)
    # A directory where every public store's info.xml answers are laid out for
    # nginx to send itself (index/static_mirror.py, deploy/nginx/apkdepot.conf).
    # Empty: off. Needs APKDEPOT_PUBLIC_URL (the files' links may not follow each
    # request's address) and local blob storage (the files link to the blobs).
    static_mirror_dir: str = ""
    # Publishes into one store within this window become one index version.
    index_coalesce_ms: int = 150
    # A store's new info.xml is its previous one with the changed entries spliced
    # in, once it lists this many apps; below that, and every Nth version (which
    # brings every entry's download count up to date), it is rendered whole.
    index_splice_min_apps: int = 1000
    index_full_render_every: int = 100
    # Old index versions whose full bytes are kept (their MD5s are kept forever).
    index_keep_bytes: int = 3
    # F-Droid: how many earlier versions entry.json names diffs for (any
    # earlier one is still answered at diff/<timestamp>.json).
    fdroid_diffs: int = 10
    # The app list API's limits, per API token.
    app_list_per_minute: int = 20
    app_list_per_day: int = 100
    # Server processes run the index builder, cache refresh and download-count
    # flush in a background thread. Tests turn it off to drive them by hand.
    background: bool = True
    log_json: bool = True
    demo: bool = False

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'apkdepot.sqlite3').resolve()}"

    @property
    def base_url(self) -> str:
        """The absolute address written into indexes and mails."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


class SettingsError(ValueError):
    """A setting's value cannot be used; the message names the variable."""


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _coerce(name: str, raw: str, target: type | str) -> Any:
    kind = target if isinstance(target, str) else target.__name__
    if kind == "int":
        text = raw.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 18:
            raise SettingsError(f"{ENV_PREFIX}{name.upper()}={raw!r}: expected a whole number of 0 or more")
        return int(text)
    if kind == "bool":
        value = raw.strip().lower()
        if value not in _TRUE + _FALSE:
            raise SettingsError(f"{ENV_PREFIX}{name.upper()}={raw!r}: expected one of {', '.join(_TRUE + _FALSE)}")
        return value in _TRUE
    if kind == "Path":
        return Path(raw)
    return raw


def validate(settings: "Settings") -> None:
    """Checks that need more than one value's type."""
    if not 0 < settings.port < 65536:
        raise SettingsError(f"{ENV_PREFIX}PORT={settings.port}: expected 1 to 65535")
    if settings.workers < 1 or settings.inspect_workers < 1:
        raise SettingsError(f"{ENV_PREFIX}WORKERS and {ENV_PREFIX}INSPECT_WORKERS must be at least 1")
    if settings.webhook_first_retry_seconds < 1:
        raise SettingsError(f"{ENV_PREFIX}WEBHOOK_FIRST_RETRY_SECONDS must be at least 1")
    if settings.public_url and not settings.public_url.startswith(("http://", "https://")):
        raise SettingsError(f"{ENV_PREFIX}PUBLIC_URL={settings.public_url!r}: expected an http:// or https:// address")
    if settings.store_domain and not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+",
                                                  settings.store_domain):
        raise SettingsError(f"{ENV_PREFIX}STORE_DOMAIN={settings.store_domain!r}: expected a lower-case domain name "
                            "such as store.example.com")
    if settings.static_mirror_dir and (not settings.public_url or settings.s3_bucket):
        raise SettingsError(f"{ENV_PREFIX}STATIC_MIRROR_DIR needs {ENV_PREFIX}PUBLIC_URL and local blob storage "
                            f"(no {ENV_PREFIX}S3_BUCKET)")
    try:
        from apkdepot.api.origin import trusted_proxy_networks

        trusted_proxy_networks(settings)
    except ValueError as exc:
        raise SettingsError(f"{ENV_PREFIX}TRUSTED_PROXIES={settings.trusted_proxies!r}: {exc}") from None


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from the environment, then explicit overrides (CLI flags) on top."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        raw = environ.get(ENV_PREFIX + f.name.upper())
        if raw is not None and raw != "":
            values[f.name] = _coerce(f.name, raw, f.type)
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**values)
    validate(settings)
    return settings
