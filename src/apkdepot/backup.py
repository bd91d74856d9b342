"""Backups: every table as JSON lines from one consistent snapshot, every blob,
and the server secret, in a folder; and their restore into a fresh
installation, on SQLite or PostgreSQL whichever the backup came from.

Consistent while serving: the rows come from one read transaction (SQLite's
WAL snapshot; PostgreSQL at REPEATABLE READ), and blobs are content-addressed
and never rewritten, so every blob a backed-up row names is copied after the
snapshot (``apkdepot gc`` removes only unreferenced ones, after its grace
period). Index files are caches: a version whose bytes are missing is made
again from the rows.

The backup holds the server secret (dev tokens and the stores' F-Droid
signing keys depend on it): keep it as private as the server itself."""

from __future__ import annotations

import base64
import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import sqlalchemy as sa

from apkdepot.db.schema import metadata
from apkdepot.services import Services

FORMAT = 1
# Counters of a fixed window: nothing worth keeping.
SKIPPED_TABLES = {"rate_limit_counters"}
BATCH = 1000


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


@dataclass(frozen=True)
class Summary:
    folder: Path
    rows: dict[str, int]
    blobs: int


def _tables() -> list[sa.Table]:
    return [t for t in metadata.sorted_tables if t.name not in SKIPPED_TABLES]


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decoder(column: sa.Column):
    if isinstance(column.type, sa.DateTime):
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if isinstance(column.type, sa.LargeBinary):
        return lambda v: None if v is None else base64.b64decode(v)
    return None


def _schema_revision(conn: sa.Connection) -> str:
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()


@contextmanager
def _snapshot(svc: Services) -> Iterator[sa.Connection]:
    """One read transaction that sees a single moment of every table."""
    engine = svc.db.engine
    if engine.dialect.name == "postgresql":
        conn = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    else:
        conn = engine.connect()
    with conn, conn.begin():
        yield conn


def backup(svc: Services, target: Path) -> Summary:
    """A new folder under ``target`` with the database rows, the blobs and the secret."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    folder = target / f"apkdepot-backup-{stamp}"
    (folder / "tables").mkdir(parents=True)
    os.chmod(folder, 0o700)
    counts: dict[str, int] = {}
    with _snapshot(svc) as conn:
        revision = _schema_revision(conn)
        for table in _tables():
            count = 0
            with (folder / "tables" / f"{table.name}.jsonl").open("w", encoding="utf-8") as out:
                ordering = list(table.primary_key.columns) or list(table.columns)
                for row in conn.execute(sa.select(table).order_by(*ordering)).mappings():
                    out.write(json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False) + "\n")
                    count += 1
            counts[table.name] = count
    blobs = 0
    for key in list(svc.blobs.keys("")):
        destination = folder / "blobs" / key
        destination.parent.mkdir(parents=True, exist_ok=True)
        local = getattr(svc.blobs, "local_path", lambda _: None)(key)
        try:
            if local is not None:
                shutil.copyfile(local, destination)
            else:
                size = svc.blobs.size(key)
                if size is None:
                    raise FileNotFoundError(key)
                with destination.open("wb") as out:
                    for chunk in svc.blobs.iter_range(key, 0, size - 1) if size else ():
                        out.write(chunk)
        except FileNotFoundError:
            destination.unlink(missing_ok=True)  # removed meanwhile: an orphan gc took, or a cache dropped
            continue
        blobs += 1
    secret = folder / "secret.key"
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(svc.secret.hex())
    (folder / "manifest.json").write_text(json.dumps({
        "format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(), "schema_revision": revision,
        "database": svc.db.engine.dialect.name, "rows": counts, "blobs": blobs}, indent=2) + "\n")
    return Summary(folder, counts, blobs)


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder} is not an ApkDepot backup (manifest.json: {exc})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder}: backup format {manifest.get('format')!r} is not {FORMAT}")
    return manifest


def secret_of(folder: Path) -> str:
    try:
        return (folder / "secret.key").read_text().strip()
    except OSError as exc:
        raise BackupError(f"{folder}: no secret.key ({exc})") from None


def restore(svc: Services, folder: Path) -> Summary:
    """The backup's rows and blobs into this installation, whose database must
    be empty and at the newest schema (the rows of an older schema take the
    newer columns' defaults). Its secret must be the backup's (see secret_of)."""
    from alembic.script import ScriptDirectory

    from apkdepot.db.migrate import alembic_config

    manifest = read_manifest(folder)
    if svc.secret.hex() != secret_of(folder):
        raise BackupError("this installation's secret differs from the backup's: restore into a fresh data directory "
                          "(the backup's secret.key is put there), or set APKDEPOT_SECRET_KEY to the backup's")
    known = {script.revision for script in
             ScriptDirectory.from_config(alembic_config(svc.db.engine)).walk_revisions()}
    if manifest["schema_revision"] not in known:
        raise BackupError(f"the backup's schema {manifest['schema_revision']} is newer than this ApkDepot: upgrade it")
    counts: dict[str, int] = {}
    with svc.db.write() as conn:
        for table in _tables():
            if conn.execute(sa.select(sa.func.count()).select_from(table)).scalar():
                if table.name != "catalog_clock":
                    raise BackupError(f"the database is not empty (table {table.name} has rows): restore into a "
                                      "fresh one")
                conn.execute(table.delete())  # the clock's starting row, replaced by the backup's
        for table in _tables():
            path = folder / "tables" / f"{table.name}.jsonl"
            if not path.exists():
                counts[table.name] = 0  # a table newer than the backup
                continue
            decoders = {c.name: d for c in table.columns if (d := _decoder(c)) is not None}
            names = {c.name for c in table.columns}
            batch: list[dict[str, Any]] = []
            count = 0
            with path.open(encoding="utf-8") as rows:
                for line in rows:
                    row = {k: (decoders[k](v) if k in decoders else v) for k, v in json.loads(line).items()
                           if k in names}
                    batch.append(row)
                    if len(batch) >= BATCH:
                        conn.execute(table.insert(), batch)
                        count += len(batch)
                        batch = []
            if batch:
                conn.execute(table.insert(), batch)
                count += len(batch)
            counts[table.name] = count
        if conn.dialect.name == "postgresql":
            for table in _tables():
                id_column = table.c.get("id")
                if id_column is not None and id_column.primary_key and id_column.autoincrement is not False:
                    conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                         f"GREATEST((SELECT MAX(id) FROM {table.name}), 1))"))
    blobs = 0
    root = folder / "blobs"
    if root.exists():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            svc.blobs.put_file(path.relative_to(root).as_posix(), path)
            blobs += 1
    return Summary(folder, counts, blobs)
