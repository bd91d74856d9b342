"""The running server's collaborators, built once from settings. Each
pluggable piece (mail, rate-limit counters, later blob storage) is picked here."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from apkdepot.accounts.passwords import PasswordHashing
from apkdepot.apk.inspect import ZipLimits
from apkdepot.apk.sandbox import InspectorPool, PoolSize, SandboxLimits
from apkdepot.config import Settings
from apkdepot.db.engine import Database, make_engine
from apkdepot.mail import Mailer, make_mailer
from apkdepot.ratelimit import RateLimiter, make_rate_limiter
from apkdepot.index.static_mirror import StaticMirror
from apkdepot.storage import BlobStorage, LocalBlobStorage, S3BlobStorage


@dataclass
class Services:
    settings: Settings
    db: Database
    mailer: Mailer
    limiter: RateLimiter
    passwords: PasswordHashing
    secret: bytes
    blobs: BlobStorage
    inspector: InspectorPool
    static_mirror: StaticMirror | None = None

    def close(self) -> None:
        self.inspector.close()
        self.db.dispose()


def load_or_create_secret(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode("utf-8")
    path = settings.data_dir / "secret.key"
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return bytes.fromhex(value)


def make_blob_storage(settings: Settings) -> BlobStorage:
    if settings.s3_bucket:
        return S3BlobStorage(settings.s3_bucket, settings.s3_prefix, settings.s3_endpoint_url,
                             settings.s3_region, settings.s3_access_key, settings.s3_secret_key)
    return LocalBlobStorage(settings.blob_dir)


def sandbox_limits(settings: Settings) -> SandboxLimits:
    return SandboxLimits(memory_bytes=settings.inspect_memory_bytes, cpu_seconds=settings.inspect_cpu_seconds,
                         wall_seconds=settings.inspect_wall_seconds, refuse_v1_only=settings.refuse_v1_only,
                         zip=ZipLimits(max_total_bytes=settings.max_inflated_bytes,
                                       max_entry_bytes=min(ZipLimits.max_entry_bytes, settings.max_inflated_bytes)))


def make_inspector(settings: Settings) -> InspectorPool:
    return InspectorPool(sandbox_limits(settings), PoolSize(workers=settings.inspect_workers,
                                                            queue=settings.inspect_queue,
                                                            files_per_worker=settings.inspect_files_per_worker))


def build_services(settings: Settings, mailer: Mailer | None = None) -> Services:
    db = Database(make_engine(settings.effective_database_url))
    return Services(
        settings=settings,
        db=db,
        mailer=mailer or make_mailer(settings.smtp_url, settings.outbox_dir, settings.smtp_ca_file),
        limiter=make_rate_limiter(db, settings.redis_url),
        passwords=PasswordHashing(memory_kib=settings.password_memory_kib),
        secret=load_or_create_secret(settings),
        blobs=make_blob_storage(settings),
        inspector=make_inspector(settings),
        static_mirror=StaticMirror(Path(settings.static_mirror_dir)) if settings.static_mirror_dir else None,
    )
