"""The ``apkdepot`` command."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from apkdepot.config import ENV_PREFIX, Settings, SettingsError, load_settings
from apkdepot.errors import Failure


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        data_dir=Path(args.data) if getattr(args, "data", None) else None,
        database_url=getattr(args, "database_url", None),
    )


def _require_data_dir(settings: Settings) -> None:
    """Commands other than init and serve work on an existing installation:
    run in the wrong folder they say so instead of creating a new one."""
    where = settings.data_dir.resolve()
    hint = (f"run `apkdepot init --data {settings.data_dir}` first, or point --data / {ENV_PREFIX}DATA_DIR "
            "at the existing data directory")
    if not settings.database_url and not (settings.data_dir / "apkdepot.sqlite3").is_file():
        raise CliError(f"no ApkDepot database in {where}: {hint}")
    if not settings.secret_key and not (settings.data_dir / "secret.key").is_file():
        raise CliError(f"no secret key in {where} (and {ENV_PREFIX}SECRET_KEY is not set): {hint}")


def _services(args: argparse.Namespace, create: bool = False, migrate: bool = False):
    """The services of the installation the arguments name. Only ``create``
    (init, serve) makes a data directory; only ``migrate`` changes the schema."""
    from apkdepot.db.migrate import is_current, upgrade
    from apkdepot.services import build_services

    settings = _settings(args)
    if not create:
        _require_data_dir(settings)
    svc = build_services(settings)
    try:
        if create or migrate:
            upgrade(svc.db.engine)
        elif not is_current(svc.db.engine):
            raise CliError("the database schema is out of date: run `apkdepot migrate` first")
    except BaseException:
        svc.close()
        raise
    return svc


def _report(failure: Failure) -> int:
    """Each distinct problem once (a rule broken by two fields is one line naming both)."""
    fields: dict[tuple[str, str], list[str]] = {}
    for p in failure.problems:
        fields.setdefault((p.code, p.message("en")), [])
        if p.field:
            fields[(p.code, p.message("en"))].append(p.field)
    for (code, message), names in fields.items():
        where = f" [{', '.join(names)}]" if names else ""
        print(f"error {code}{where}: {message}", file=sys.stderr)
    return 2


def cmd_init(args: argparse.Namespace) -> int:
    from apkdepot.services import load_or_create_secret

    settings = _settings(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    load_or_create_secret(settings)
    svc = _services(args, create=True)
    try:
        if args.admin_email:
            code = _ensure_operator(svc, args.admin_email, args.admin_password)
            if code:
                return code
    finally:
        svc.close()
    print(f"data directory ready: {settings.data_dir.resolve()}")
    return 0


def _ensure_operator(svc, email: str, password: str | None) -> int:
    """init --admin-email: that developer is an operator, created (confirmed)
    first when there is none, with the given password or a printed random one."""
    import secrets

    from apkdepot import operators
    from apkdepot.accounts import services as accounts

    developer = accounts.developer_by_email(svc, email.strip().lower())
    try:
        if developer is None:
            chosen = password or secrets.token_urlsafe(12) + "-1a"
            developer, _ = accounts.create_confirmed_developer(svc, {
                "email": email, "password": chosen, "name": email.split("@")[0] or "Operator",
                "account_type": "personal"})
            print(f"operator {developer.email} created" + ("" if password else f" with password {chosen}"))
        operators.set_operator(svc, developer.id, True)
    except Failure as failure:
        return _report(failure)
    return 0


def _developer_by_email(svc, email: str):
    from apkdepot import operators

    return operators.developer_record(svc, email=email)


def _print_rows(rows: list[dict], columns: Sequence[str]) -> None:
    """Rows as aligned text columns (the JSON API gives the same records as JSON)."""
    table = [[str(col) for col in columns]] + [["" if row.get(c) is None else str(row[c]) for c in columns]
                                               for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())


def cmd_admin(args: argparse.Namespace) -> int:
    """apkdepot admin …: the operators' commands (the JSON API's /api/admin)."""
    import json

    from apkdepot import audit, moderation, operators

    svc = _services(args)
    try:
        action = args.admin_action
        if action in ("grant", "revoke"):
            record = operators.set_operator(svc, _developer_by_email(svc, args.email).id, action == "grant")
            print(f"{record.email} is {'now' if record.operator else 'no longer'} an operator")
        elif action in ("disable", "enable"):
            record = operators.set_disabled(svc, _developer_by_email(svc, args.email).id, args.reason,
                                            action == "disable")
            print(f"{record.email} is {'disabled' if record.disabled_at else 'enabled'}")
        elif action in ("suspend", "resume"):
            store = operators.set_suspended(svc, args.name, args.reason, action == "suspend")
            print(f"store {store.name} is {'suspended' if store.suspended_at else 'serving again'}")
        elif action == "takedown":
            removed = operators.take_down(svc, args.store, args.package, args.version_code, args.reason)
            print(f"{removed} version{'s' if removed != 1 else ''} of {args.package} taken down from {args.store}")
        elif action in ("moderate", "unmoderate"):
            moderation.set_moderated(svc, args.name, action == "moderate")
            print(f"store {args.name} is {'now' if action == 'moderate' else 'no longer'} moderated")
        elif action == "queue":
            for waiting in moderation.queue(svc, args.after, args.limit, args.store):
                print(json.dumps(waiting.public(), ensure_ascii=False, sort_keys=True))
        elif action in ("approve", "reject"):
            moderation.decide(svc, args.id, action == "approve", args.reason)
            print(f"version {args.id} {'approved' if action == 'approve' else 'refused'}")
        elif action == "developers":
            found = operators.find_developers(svc, args.query or "", args.after, args.limit)
            _print_rows([{**d.public(), "disabled": d.disabled_reason, "operator": "yes" if d.operator else ""}
                         for d in found], ("id", "email", "name", "stores", "operator", "disabled"))
        elif action == "stores":
            found = operators.find_stores(svc, args.query or "", args.after, args.limit)
            _print_rows([{**s.public(), "owner": s.owner_email, "suspended": s.suspension_reason,
                          "private": "yes" if s.private else ""} for s in found],
                        ("id", "name", "owner", "apps", "private", "suspended"))
        elif action == "audit":
            owner = _developer_by_email(svc, args.owner).id if args.owner else None
            if args.csv:
                for chunk in audit.csv_lines(audit.all_pages(svc, owner), for_owner=False):
                    sys.stdout.write(chunk)
            else:
                with svc.db.read() as conn:
                    for event in audit.events(conn, owner, None, args.limit):
                        print(json.dumps(event.public(), ensure_ascii=False, sort_keys=True))
    except Failure as failure:
        return _report(failure)
    finally:
        svc.close()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    svc = _services(args, migrate=True)
    svc.close()
    print("database is at the latest schema")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from granian import Granian
    from granian.constants import Interfaces

    settings = load_settings(data_dir=Path(args.data) if args.data else None, database_url=args.database_url,
                             host=args.host, port=args.port, workers=args.workers,
                             public_url=args.public_url, demo=True if args.demo else None)
    # Every worker process builds its own app from the environment: hand the
    # resolved settings down that way.
    os.environ[ENV_PREFIX + "DATA_DIR"] = str(settings.data_dir.resolve())
    os.environ[ENV_PREFIX + "HOST"] = settings.host
    os.environ[ENV_PREFIX + "PORT"] = str(settings.port)
    if settings.database_url:
        os.environ[ENV_PREFIX + "DATABASE_URL"] = settings.database_url
    if settings.public_url:
        os.environ[ENV_PREFIX + "PUBLIC_URL"] = settings.public_url
    refuse_busy_port(settings.host, settings.port)
    svc = _services(argparse.Namespace(data=str(settings.data_dir), database_url=settings.database_url or None),
                    create=True)
    if settings.demo:
        from apkdepot.accounts import services as accounts
        from apkdepot.demo import DEMO_EMAIL, DEMO_PASSWORD, ensure_demo

        ensure_demo(svc)
        developer = ensure_demo(svc)
        print(f"demo developer {DEMO_EMAIL} (password {DEMO_PASSWORD}); dev token: "
              f"{accounts.dev_token(svc, developer)}", flush=True)
    svc.close()
    print(f"ApkDepot serving on http://{settings.host}:{settings.port} (data: {settings.data_dir.resolve()})", flush=True)
    # A worker that dies is replaced; one that will not stop is killed after a few seconds.
    Granian("apkdepot.app:create_app_from_env", address=settings.host, port=settings.port,
            workers=settings.workers, interface=Interfaces.ASGI, factory=True, log_access=False,
            respawn_failed_workers=True, respawn_interval=1.0, workers_kill_timeout=5).serve()
    return 0


def refuse_busy_port(host: str, port: int) -> None:
    """Granian binds with SO_REUSEPORT, which would let a second server share
    the port (and split its traffic with another data directory): refuse that."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc} (is another server running there?)") from None


def cmd_developer_create(args: argparse.Namespace) -> int:
    from apkdepot.accounts import services as accounts

    svc = _services(args)
    form = {"email": args.email, "password": args.password, "name": args.name,
            "account_type": args.account_type, "business_name": args.business_name,
            "company_name": args.company_name, "address": args.address, "city": args.city,
            "zip_code": args.zip_code, "country": args.country, "phone": args.phone, "tax_id": args.tax_id}
    try:
        developer, token = accounts.create_confirmed_developer(svc, {k: v for k, v in form.items() if v is not None})
    except Failure as failure:
        return _report(failure)
    finally:
        svc.close()
    print(f"developer {developer.id} <{developer.email}> created")
    print(token)
    return 0


def cmd_developer_token(args: argparse.Namespace) -> int:
    from apkdepot.accounts import services as accounts

    svc = _services(args)
    try:
        developer = accounts.developer_by_email(svc, args.email)
        if developer is None:
            print(f"no developer with address {args.email}", file=sys.stderr)
            return 1
        token = accounts.regenerate_token(svc, developer.id) if args.regenerate else accounts.dev_token(svc, developer)
    finally:
        svc.close()
    print(token)
    return 0


def cmd_store_create(args: argparse.Namespace) -> int:
    from apkdepot.accounts import services as accounts
    from apkdepot.catalog import stores

    svc = _services(args)
    try:
        developer = accounts.developer_by_email(svc, args.owner)
        if developer is None:
            print(f"no developer with address {args.owner}", file=sys.stderr)
            return 1
        form = {"name": args.name, "description": args.description or ""}
        if args.private:
            form.update(private=True, basic_user=args.basic_user, basic_password=args.basic_password)
        store = stores.create_store(svc, developer.id, form)
    except Failure as failure:
        return _report(failure)
    finally:
        svc.close()
    print(f"store {store.name} created (index version {store.current_version})")
    return 0


class _Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, max(total, 1), 0

    def advance(self, n: int) -> None:
        self.done += n
        width = 30
        filled = int(width * self.done / self.total)
        percent = 100 * self.done // self.total
        print(f"\r{self.label[:30]:30} [{'#' * filled}{'.' * (width - filled)}] {percent:3d}%", end="",
              file=sys.stderr, flush=True)

    def finish(self, outcome: str) -> None:
        """The outcome, always on a line that names the file."""
        print(f"\r{self.label}: {outcome}" + " " * 20, file=sys.stderr, flush=True)


def _publish_remote(args: argparse.Namespace, files: list[Path]) -> int:
    import httpx

    token = args.token or os.environ.get("APKDEPOT_TOKEN")
    if not token:
        print("give --token or set APKDEPOT_TOKEN", file=sys.stderr)
        return 2
    if not args.server.startswith(("http://", "https://")):
        raise CliError(f"--server {args.server!r}: give the full address, e.g. http://127.0.0.1:8000")
    try:
        return _upload_files(args, files, token)
    except httpx.HTTPError as exc:
        raise CliError(f"cannot reach {args.server}: {exc.__class__.__name__}: {exc}") from None


def _upload_files(args: argparse.Namespace, files: list[Path], token: str) -> int:
    import httpx

    failures = 0
    with httpx.Client(base_url=args.server, timeout=httpx.Timeout(600, connect=10)) as client:
        for path in files:
            progress = _Progress(path.name, path.stat().st_size)

            def chunks(p: Path = path, bar: _Progress = progress):
                with p.open("rb") as fh:
                    while chunk := fh.read(256 * 1024):
                        bar.advance(len(chunk))
                        yield chunk

            boundary = "apkdepot-" + os.urandom(8).hex()
            head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"apk\"; filename=\"{path.name}\"\r\n"
                    "Content-Type: application/vnd.android.package-archive\r\n\r\n").encode()
            tail = f"\r\n--{boundary}--\r\n".encode()

            def body(h=head, t=tail, c=chunks):
                yield h
                yield from c()
                yield t

            response = client.post(f"/api/stores/{args.store}/apks", content=body(),
                                   headers={"Authorization": f"Bearer {token}",
                                            "Content-Type": f"multipart/form-data; boundary={boundary}",
                                            "Content-Length": str(len(head) + path.stat().st_size + len(tail))})
            result = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
            if result.get("status") == "OK":
                apk = result["apk"]
                progress.finish(f"published {apk['package']} {apk['version_name']} ({apk['version_code']})")
            else:
                failures += 1
                progress.finish("; ".join(f"{e['code']}: {e['msg']}" for e in result.get("errors", []))
                                or f"HTTP {response.status_code}")
    return 1 if failures else 0


def _publish_local(args: argparse.Namespace, files: list[Path]) -> int:
    from apkdepot.catalog import publishing, stores
    from apkdepot.index import versions

    svc = _services(args)
    failures = 0
    try:
        store = stores.get_store(svc, args.store)
        if store is None:
            print(f"no store {args.store}", file=sys.stderr)
            return 1
        for path in files:
            progress = _Progress(path.name, 1)
            try:
                published = publishing.publish_file(svc, store.owner_id, store.name, path, {})
                progress.advance(1)
                progress.finish(f"published {published.apk.package} {published.apk.version_name} "
                                f"({published.apk.version_code})")
            except Failure as failure:
                failures += 1
                progress.finish("; ".join(f"{p.code}: {p.message('en')}" for p in failure.problems))
        versions.build_pending(svc, store.id)
    finally:
        svc.close()
    return 1 if failures else 0


def cmd_publish(args: argparse.Namespace) -> int:
    files = [Path(f) for f in args.files]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        print(f"no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    return _publish_remote(args, files) if args.server else _publish_local(args, files)


def _listing_store(svc, name: str):
    from apkdepot.catalog import stores

    store = stores.get_store(svc, name)
    if store is None:
        print(f"no store {name}", file=sys.stderr)
    return store


def cmd_listing_show(args: argparse.Namespace) -> int:
    import json

    from apkdepot.catalog import publishing

    svc = _services(args)
    try:
        store = _listing_store(svc, args.store)
        if store is None:
            return 1
        listing = publishing.get_listing(svc, store, args.package)
    except Failure as failure:
        return _report(failure)
    finally:
        svc.close()
    print(json.dumps(listing.public(), indent=2, ensure_ascii=False, sort_keys=True))
    return 0


def cmd_listing_set(args: argparse.Namespace) -> int:
    """Replaces a listing from a JSON file (the JSON API's form) and builds the next index version."""
    import json

    from apkdepot.catalog import publishing
    from apkdepot.index import versions

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
        body = json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    if not isinstance(body, dict):
        print(f"{args.file}: the listing must be a JSON object", file=sys.stderr)
        return 2
    svc = _services(args)
    try:
        store = _listing_store(svc, args.store)
        if store is None:
            return 1
        listing = publishing.put_listing(svc, store, args.package, body)
        versions.build_pending(svc, store.id)
    except Failure as failure:
        return _report(failure)
    finally:
        svc.close()
    print(json.dumps(listing.public(), indent=2, ensure_ascii=False, sort_keys=True))
    return 0


def cmd_listing_image(args: argparse.Namespace) -> int:
    from apkdepot.catalog import app_listing, listing_images, publishing
    from apkdepot.index import versions

    path = Path(args.file)
    if not path.is_file():
        print(f"no such file: {path}", file=sys.stderr)
        return 2
    if path.stat().st_size > listing_images.IMAGE_MAX_BYTES:
        print(f"{path}: larger than {listing_images.IMAGE_MAX_BYTES // (1024 * 1024)} MB", file=sys.stderr)
        return 2
    locale = app_listing.normalize_locale(args.locale)
    if locale is None:
        print(f"invalid language tag: {args.locale}", file=sys.stderr)
        return 2
    svc = _services(args)
    try:
        store = _listing_store(svc, args.store)
        if store is None:
            return 1
        image, _ = publishing.add_listing_image(svc, store, store.owner_id, args.package, path, args.kind, locale)
        versions.build_pending(svc, store.id)
    except Failure as failure:
        return _report(failure)
    finally:
        svc.close()
    print(f"{image.name} ({image.width}×{image.height}) added to {args.package} as a {args.kind} image in {locale}")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from apkdepot.accounts import api_tokens
    from apkdepot.accounts import services as accounts

    svc = _services(args)
    try:
        developer = accounts.developer_by_email(svc, args.email)
        if developer is None:
            print(f"no developer with address {args.email}", file=sys.stderr)
            return 1
        token, secret = api_tokens.create_token(svc, developer.id, args.name, args.scope or None, args.expires_days)
    except Failure as failure:
        return _report(failure)
    finally:
        svc.close()
    print(f"API token {token.id} ({token.name}) created; it is shown only now:", file=sys.stderr)
    print(secret)
    return 0


def cmd_developer_delete(args: argparse.Namespace) -> int:
    """Deletes an account and its stores (--confirm repeats the address)."""
    from apkdepot.accounts import security
    from apkdepot.accounts import services as accounts

    if args.confirm.strip().lower() != args.email.strip().lower():
        print("--confirm must repeat the address", file=sys.stderr)
        return 2
    svc = _services(args)
    try:
        developer = accounts.developer_by_email(svc, args.email)
        if developer is None:
            print(f"no developer with address {args.email}", file=sys.stderr)
            return 1
        deleted = security.erase_account(svc, developer.id)
    except Failure as failure:
        return _report(failure)
    finally:
        svc.close()
    print(f"account {args.email} deleted with its {deleted} stores (their names stay reserved)")
    return 0


def cmd_store_rename_or_delete(args: argparse.Namespace) -> int:
    """Renames a store (the old name keeps leading to it) or deletes it (--confirm NAME)."""
    from apkdepot.catalog import stores

    svc = _services(args)
    try:
        store = _listing_store(svc, args.name)
        if store is None:
            return 1
        if args.action == "rename":
            renamed = stores.rename_store(svc, store, args.new_name)
            print(f"store {store.name} is now {renamed.name}; the old name keeps leading to it")
        else:
            held = stores.delete_store(svc, store, args.confirm)
            print(f"store {store.name} deleted with its {held} app versions; its name stays reserved "
                  "(apkdepot gc removes files no other store holds)")
    except Failure as failure:
        return _report(failure)
    finally:
        svc.close()
    return 0


def cmd_webhook(args: argparse.Namespace) -> int:
    """A store's webhooks: add (prints the secret once), list, remove, ping, deliveries."""
    import json

    from apkdepot import webhooks

    svc = _services(args)
    try:
        store = _listing_store(svc, args.store)
        if store is None:
            return 1
        action = args.webhook_action
        if action == "add":
            hook, secret = webhooks.create_hook(svc, store, {"url": args.url, **({"events": args.event}
                                                                                  if args.event else {})})
            print(f"webhook {hook.id} added; its secret is shown only now:", file=sys.stderr)
            print(secret)
        elif action == "list":
            _print_rows([{**h.public(), "events": " ".join(h.events)} for h in webhooks.list_hooks(svc, store.id)],
                        ("id", "url", "events", "created_at"))
        elif action == "remove":
            webhooks.delete_hook(svc, store, args.id)
            print(f"webhook {args.id} removed", file=sys.stderr)
        elif action == "ping":
            webhooks.ping(svc, store, args.id)
            print(f"a ping to webhook {args.id} is queued", file=sys.stderr)
        else:
            for delivery in webhooks.deliveries(svc, store.id, args.id, limit=args.limit):
                print(json.dumps(delivery.public(), ensure_ascii=False, sort_keys=True))
    except Failure as failure:
        return _report(failure)
    finally:
        svc.close()
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from apkdepot.backup import backup

    svc = _services(args)
    try:
        Path(args.target).mkdir(parents=True, exist_ok=True)
        summary = backup(svc, Path(args.target))
    finally:
        svc.close()
    print(f"backup written to {summary.folder}: {sum(summary.rows.values())} rows, {summary.blobs} blobs "
          "(it holds the server secret: keep it private)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Into a fresh installation: the backup's secret goes into the data
    directory first (unless APKDEPOT_SECRET_KEY names one), then the rows and blobs."""
    import os

    from apkdepot.backup import BackupError, read_manifest, restore, secret_of

    folder = Path(args.backup)
    settings = _settings(args)
    try:
        read_manifest(folder)
        secret = secret_of(folder)
        if not settings.secret_key:
            path = settings.data_dir / "secret.key"
            if path.exists():
                if path.read_text().strip() != secret:
                    raise BackupError(f"{path} holds another secret: restore into a fresh data directory")
            else:
                settings.data_dir.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(secret)
        svc = _services(args, create=True)
        try:
            summary = restore(svc, folder)
        finally:
            svc.close()
    except BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"restored {sum(summary.rows.values())} rows and {summary.blobs} blobs into {settings.data_dir.resolve()}")
    return 0


def cmd_export_store(args: argparse.Namespace) -> int:
    from apkdepot.index.fdroid_export import ExportError, export_store

    svc = _services(args)
    try:
        exported = export_store(svc, args.name, Path(args.target))
    except ExportError as exc:
        raise CliError(str(exc)) from None
    finally:
        svc.close()
    print(f"exported index version {exported.version} of {args.name} to {exported.folder} ({exported.files} files): "
          "serve that folder at <address>/repo and give F-Droid its fingerprint")
    return 0


def cmd_gc(args: argparse.Namespace) -> int:
    from apkdepot.catalog.gc import collect_garbage

    svc = _services(args)
    try:
        collected = collect_garbage(svc, args.older_than)
    finally:
        svc.close()
    print(f"removed {collected.blobs} orphaned blobs, {collected.temp_files} temporary files and "
          f"{collected.expired_rows} expired sessions and links")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="apkdepot", description="ApkDepot app store server")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_data(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--data", help="data directory (default: $APKDEPOT_DATA_DIR or ./data)")
        p.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in the data directory)")
        return p

    p = with_data(sub.add_parser("init", help="create the data directory and the database"))
    p.add_argument("--admin-email", help="make this developer an operator (created, confirmed, when there is none)")
    p.add_argument("--admin-password", help="the new operator's password (default: a random one, printed)")
    p.set_defaults(func=cmd_init)
    p = with_data(sub.add_parser("migrate", help="bring the database schema up to date"))
    p.set_defaults(func=cmd_migrate)

    p = with_data(sub.add_parser("serve", help="run the server (Granian)"))
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int)
    p.add_argument("--public-url", help="address clients reach this server at, for absolute links")
    p.add_argument("--demo", action="store_true", help="make sure a demo developer and store exist")
    p.set_defaults(func=cmd_serve)

    dev = sub.add_parser("developer", help="manage developer accounts").add_subparsers(dest="action", required=True)
    p = with_data(dev.add_parser("create", help="create a confirmed developer; prints the dev token last"))
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--account-type", default="personal", choices=("personal", "business"))
    for flag in ("--business-name", "--company-name", "--address", "--city", "--zip-code", "--country",
                 "--phone", "--tax-id"):
        p.add_argument(flag)
    p.set_defaults(func=cmd_developer_create)
    p = with_data(dev.add_parser("token", help="print the developer's dev token"))
    p.add_argument("--email", required=True)
    p.add_argument("--regenerate", action="store_true", help="replace the token; the old one fails at once")
    p.set_defaults(func=cmd_developer_token)

    p = with_data(dev.add_parser("delete", help="delete an account and every store of it"))
    p.add_argument("email")
    p.add_argument("--confirm", required=True, metavar="EMAIL", help="the address again")
    p.set_defaults(func=cmd_developer_delete)
    store = sub.add_parser("store", help="manage stores").add_subparsers(dest="action", required=True)
    p = with_data(store.add_parser("create", help="create a store for a developer"))
    p.add_argument("name")
    p.add_argument("--owner", required=True, help="the owner's e-mail address")
    p.add_argument("--description")
    p.add_argument("--private", action="store_true")
    p.add_argument("--basic-user")
    p.add_argument("--basic-password")
    p.set_defaults(func=cmd_store_create)

    p = with_data(store.add_parser("rename", help="rename a store; its old name keeps leading to it"))
    p.add_argument("name")
    p.add_argument("new_name", metavar="NEW_NAME")
    p.set_defaults(func=cmd_store_rename_or_delete)
    p = with_data(store.add_parser("delete", help="delete a store and everything in it; its name stays reserved"))
    p.add_argument("name")
    p.add_argument("--confirm", required=True, metavar="NAME", help="the store's name again")
    p.set_defaults(func=cmd_store_rename_or_delete)
    p = with_data(sub.add_parser("publish", help="publish APKs into a store, with a progress bar"))
    p.add_argument("--store", required=True)
    p.add_argument("--server", help="upload to this running server (e.g. http://127.0.0.1:8000) instead of "
                                    "writing to the local data directory")
    p.add_argument("--token", help="dev token for --server (default: $APKDEPOT_TOKEN)")
    p.add_argument("files", nargs="+", metavar="FILE.apk")
    p.set_defaults(func=cmd_publish)

    listing = sub.add_parser("listing", help="an app's store listing").add_subparsers(dest="action", required=True)
    p = with_data(listing.add_parser("show", help="print an app's listing as JSON (the JSON API's form)"))
    p.add_argument("--store", required=True)
    p.add_argument("package")
    p.set_defaults(func=cmd_listing_show)
    p = with_data(listing.add_parser("set", help="replace an app's listing from a JSON file ('-': standard input) "
                                                 "and build the next index version"))
    p.add_argument("--store", required=True)
    p.add_argument("package")
    p.add_argument("file", metavar="LISTING.json")
    p.set_defaults(func=cmd_listing_set)
    p = with_data(listing.add_parser("image", help="add a phone screenshot or the feature graphic of a language"))
    p.add_argument("--store", required=True)
    p.add_argument("--kind", choices=("phone", "feature"), default="phone")
    p.add_argument("--locale", default="en-US")
    p.add_argument("package")
    p.add_argument("file", metavar="IMAGE")
    p.set_defaults(func=cmd_listing_image)

    token = sub.add_parser("token", help="API tokens for the app list API").add_subparsers(dest="action", required=True)
    p = with_data(token.add_parser("create", help="create an API token; prints it (shown only once)"))
    p.add_argument("--email", required=True)
    p.add_argument("--name")
    p.add_argument("--scope", action="append", choices=("apps:read", "stores:read", "stores:write", "publish"),
                   help="what it may do (repeat for several; default apps:read, the app list API); "
                        "a CI job that publishes needs only publish")
    p.add_argument("--expires-days", type=int, help="days until it stops working (default: never)")
    p.set_defaults(func=cmd_token_create)

    hook = sub.add_parser("webhook", help="a store's webhooks and their deliveries")
    hook_actions = hook.add_subparsers(dest="webhook_action", required=True)
    p = with_data(hook_actions.add_parser("add", help="add a webhook; prints its signing secret (shown only once)"))
    p.add_argument("store")
    p.add_argument("url")
    p.add_argument("--event", action="append", choices=("app.published", "app.removed", "index.version",
                                                        "moderation.decided"),
                   help="an event it takes (repeat for several; default: all)")
    p.set_defaults(func=cmd_webhook)
    p = with_data(hook_actions.add_parser("list", help="the store's webhooks"))
    p.add_argument("store")
    p.set_defaults(func=cmd_webhook)
    for action, text in (("remove", "remove a webhook and its delivery log"), ("ping", "queue a ping event to it")):
        p = with_data(hook_actions.add_parser(action, help=text))
        p.add_argument("store")
        p.add_argument("id", type=int)
        p.set_defaults(func=cmd_webhook)
    p = with_data(hook_actions.add_parser("deliveries", help="a webhook's deliveries, newest first (JSON lines)"))
    p.add_argument("store")
    p.add_argument("id", type=int)
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_webhook)

    admin = sub.add_parser("admin", help="operators: the role, developers, stores and the audit log")
    admin_actions = admin.add_subparsers(dest="admin_action", required=True)
    for action, text in (("grant", "make a developer an operator"), ("revoke", "take the operator role away")):
        p = with_data(admin_actions.add_parser(action, help=text))
        p.add_argument("email")
        p.set_defaults(func=cmd_admin)
    p = with_data(admin_actions.add_parser("disable", help="disable an account: every credential stops working"))
    p.add_argument("email")
    p.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_admin)
    p = with_data(admin_actions.add_parser("enable", help="enable a disabled account again"))
    p.add_argument("email")
    p.set_defaults(func=cmd_admin, reason=None)
    p = with_data(admin_actions.add_parser("suspend", help="suspend a store: it leaves every protocol's answers"))
    p.add_argument("name")
    p.add_argument("--reason", required=True, help="shown to the store's owner")
    p.set_defaults(func=cmd_admin)
    p = with_data(admin_actions.add_parser("resume", help="resume a suspended store"))
    p.add_argument("name")
    p.set_defaults(func=cmd_admin, reason=None)
    p = with_data(admin_actions.add_parser("takedown", help="take an app (or one version) out of a store"))
    p.add_argument("store")
    p.add_argument("package")
    p.add_argument("--version-code", help="only this version")
    p.add_argument("--reason", required=True, help="shown to the store's owner")
    p.set_defaults(func=cmd_admin)
    for action, text in (("moderate", "moderate a store: new apps and risky updates wait for review"),
                         ("unmoderate", "stop moderating a store")):
        p = with_data(admin_actions.add_parser(action, help=text))
        p.add_argument("name")
        p.set_defaults(func=cmd_admin)
    p = with_data(admin_actions.add_parser("queue", help="versions waiting for review, oldest first (JSON lines)"))
    p.add_argument("--store")
    p.add_argument("--after", type=int, default=0, help="continue after this id")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_admin)
    p = with_data(admin_actions.add_parser("approve", help="approve a waiting version (its id in the queue)"))
    p.add_argument("id", type=int)
    p.set_defaults(func=cmd_admin, reason=None)
    p = with_data(admin_actions.add_parser("reject", help="refuse a waiting version, with a reason its owner reads"))
    p.add_argument("id", type=int)
    p.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_admin)
    for action, text in (("developers", "find developers by address or name"),
                         ("stores", "find stores by name or owner's address")):
        p = with_data(admin_actions.add_parser(action, help=text))
        p.add_argument("query", nargs="?")
        p.add_argument("--after", type=int, default=0, help="continue after this id")
        p.add_argument("--limit", type=int, default=50)
        p.set_defaults(func=cmd_admin)
    p = with_data(admin_actions.add_parser("audit", help="the audit log, newest first (one JSON object per line)"))
    p.add_argument("--owner", help="only this developer's data")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--csv", action="store_true", help="all of it, as CSV")
    p.set_defaults(func=cmd_admin)

    p = with_data(sub.add_parser("export-store", help="write a public store's F-Droid repository (signed index "
                                                      "files, diffs, APKs, icons, images) into TARGET/repo, for a "
                                                      "static file server or an rsync mirror"))
    p.add_argument("name")
    p.add_argument("target", metavar="TARGET")
    p.set_defaults(func=cmd_export_store)
    p = with_data(sub.add_parser("backup", help="write a backup (database rows, blobs, the secret) into a new "
                                                "folder under TARGET; safe while the server runs"))
    p.add_argument("target", metavar="TARGET")
    p.set_defaults(func=cmd_backup)
    p = with_data(sub.add_parser("restore", help="restore a backup folder into a fresh installation (--data, "
                                                 "--database-url)"))
    p.add_argument("backup", metavar="BACKUP")
    p.set_defaults(func=cmd_restore)

    p = with_data(sub.add_parser("gc", help="remove what crashes and time left behind: orphaned blobs, temporary "
                                            "files, expired sessions and links"))
    p.add_argument("--older-than", type=float, default=3600, metavar="SECONDS",
                   help="only touch files at least this old (default: 3600)")
    p.set_defaults(func=cmd_gc)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from apkdepot import audit

    args = build_parser().parse_args(argv)
    acting = audit.act_as(audit.COMMAND_LINE)  # what commands change, the audit log says the command line changed
    try:
        return args.func(args)
    except (CliError, SettingsError) as exc:
        print(f"apkdepot: error: {exc}", file=sys.stderr)
        return 2
    finally:
        audit.stop_acting(acting)


if __name__ == "__main__":
    sys.exit(main())
