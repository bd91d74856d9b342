"""The ``apkdepot`` command."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from apkdepot.config import ENV_PREFIX, Settings, load_settings
from apkdepot.errors import Failure


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        data_dir=Path(args.data) if getattr(args, "data", None) else None,
        database_url=getattr(args, "database_url", None),
    )


def _services(args: argparse.Namespace):
    from apkdepot.db.migrate import upgrade
    from apkdepot.services import build_services

    svc = build_services(_settings(args))
    upgrade(svc.db.engine)
    return svc


def _report(failure: Failure) -> int:
    for p in failure.problems:
        where = f" [{p.field}]" if p.field else ""
        print(f"error {p.code}{where}: {p.message('en')}", file=sys.stderr)
    return 2


def cmd_init(args: argparse.Namespace) -> int:
    from apkdepot.services import load_or_create_secret

    settings = _settings(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    load_or_create_secret(settings)
    svc = _services(args)
    svc.close()
    print(f"data directory ready: {settings.data_dir.resolve()}")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    svc = _services(args)
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
    if settings.database_url:
        os.environ[ENV_PREFIX + "DATABASE_URL"] = settings.database_url
    if settings.public_url:
        os.environ[ENV_PREFIX + "PUBLIC_URL"] = settings.public_url
    svc = _services(argparse.Namespace(data=str(settings.data_dir), database_url=settings.database_url or None))
    if settings.demo:
        from apkdepot.demo import ensure_demo

        ensure_demo(svc)
    svc.close()
    print(f"ApkDepot serving on http://{settings.host}:{settings.port} (data: {settings.data_dir.resolve()})", flush=True)
    Granian("apkdepot.app:create_app_from_env", address=settings.host, port=settings.port,
            workers=settings.workers, interface=Interfaces.ASGI, factory=True, log_access=False).serve()
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="apkdepot", description="ApkDepot app store server")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_data(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--data", help="data directory (default: $APKDEPOT_DATA_DIR or ./data)")
        p.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in the data directory)")
        return p

    p = with_data(sub.add_parser("init", help="create the data directory and the database"))
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
