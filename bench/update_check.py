"""The hot path against nginx serving the same bytes, on loopback, in one run.

    .venv/bin/python bench/update_check.py [--workers 2] [--connections 64] [--seconds 10] [--large]

Starts ApkDepot (Granian, N workers) on the demo data plus synthetic stores,
and nginx (N workers) serving static files whose bodies are byte-identical to
ApkDepot's answers; wrk drives both with the same threads and connections.
Reports req/s and p99 for each, and ApkDepot/nginx. Endpoints: a 3-repo
listRepositoryChange (JSON), info.xml?hash=<old> (a delta) and v7 store/getMeta.
--large adds a store of 100,000 apps with 10,000 index versions (its history is
written straight into the tables; only the current version is rendered)."""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def ensure_tools() -> None:
    """nginx and wrk, by the project's own idempotent installer."""
    subprocess.run(["bash", str(Path(__file__).resolve().parent.parent / "scripts" / "install-system-deps")], check=True)


def stop_processes(*processes: subprocess.Popen | None) -> None:
    """SIGTERM each, then kill what has not exited within 20 s."""
    for process in processes:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def prepare(data: Path, large: bool) -> None:
    """Demo data, two synthetic stores with history, and optionally the large one."""
    from apkdepot.accounts import services as accounts
    from apkdepot.config import Settings
    from apkdepot.db.migrate import upgrade
    from apkdepot.demo import ensure_demo
    from apkdepot.services import build_services
    from bench._synthetic import filled_store

    svc = build_services(Settings(data_dir=data, public_url="http://127.0.0.1", background=False, log_json=False))
    upgrade(svc.db.engine)
    ensure_demo(svc)
    owner = accounts.developer_by_email(svc, "demo@apkdepot.localhost")
    filled_store(svc, owner.id, "synthetic-a", 500, history=20)
    filled_store(svc, owner.id, "synthetic-b", 2000, history=5)
    if large:
        big = filled_store(svc, owner.id, "large", 100_000)
        write_history(svc, big.id, 10_000)
    svc.close()


def write_history(svc, store_id: int, count: int) -> None:
    """``count`` more index versions, each replacing one app's version: the
    intervals and the version table exactly as the builder would leave them,
    without rendering 10,000 full indexes."""
    import sqlalchemy as sa

    from apkdepot.db.schema import apks, index_entries, index_versions, stores
    from apkdepot.index import versions
    from bench._synthetic import row

    now = datetime.now(timezone.utc)
    with svc.db.write() as conn:
        current = conn.execute(sa.select(stores.c.current_version, stores.c.name).where(stores.c.id == store_id)).one()
        version = current.current_version
        open_rows = {p: (i, a) for i, p, a in conn.execute(sa.select(index_entries.c.id, index_entries.c.package,
                     index_entries.c.apk_id).where(index_entries.c.store_id == store_id, index_entries.c.to_version.is_(None)))}
        packages = sorted(open_rows)
        for step in range(count):
            version += 1
            package = packages[step % len(packages)]
            entry_id, _ = open_rows[package]
            new_code = 2 + step // len(packages)
            apk_id = conn.execute(apks.insert().values(**row(store_id, package, new_code, now)).returning(apks.c.id)).scalar_one()
            conn.execute(index_entries.update().where(index_entries.c.id == entry_id).values(to_version=version))
            new_entry = conn.execute(index_entries.insert().values(store_id=store_id, apk_id=apk_id, package=package,
                                                                   from_version=version).returning(index_entries.c.id)).scalar_one()
            open_rows[package] = (new_entry, apk_id)
            conn.execute(index_versions.insert().values(store_id=store_id, version=version,
                                                        md5=hashlib.md5(f"history-{store_id}-{version}".encode()).hexdigest(),
                                                        size=0, appscount=len(packages), created_at=now))
        versions._write_version(conn, svc, store_id, current.name, version + 1)


def wrk(url: str, connections: int, seconds: int, threads: int) -> tuple[float, float, int]:
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99_raw = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(p99_raw.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99_raw.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        print(f"{url}: {non2xx.group(0)}", file=sys.stderr)
    return rps, p99, int(non2xx.group(1)) if non2xx else 0


NGINX_CONF = """
worker_processes {workers};
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/tmp; proxy_temp_path {prefix}/tmp; fastcgi_temp_path {prefix}/tmp;
  uwsgi_temp_path {prefix}/tmp; scgi_temp_path {prefix}/tmp;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    root {prefix}/www;
    default_type application/json;
    location = /xml {{ default_type application/xml; }}
  }}
}}
"""


def front_config(prefix: Path, listen: int, upstream: str, mirror: Path, workers: int = 1,
                 as_root: bool = False) -> str:
    """deploy/nginx/apkdepot.conf as shipped, its marked lines filled in, inside a
    throw-away nginx's http block (nginx in front of ApkDepot's static mirror)."""
    site = (Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "apkdepot.conf").read_text()
    for shipped, here in (("server 127.0.0.1:8000;", f"server {upstream};"),
                          ("root /var/lib/apkdepot/static;", f"root {mirror};"),
                          ("listen 80;", f"listen 127.0.0.1:{listen};")):
        assert shipped in site, f"deploy/nginx/apkdepot.conf no longer has {shipped!r}"
        site = site.replace(shipped, here)
    return (("user root;\n" if as_root else "")
            + f"worker_processes {workers}; daemon off; pid {prefix}/nginx.pid; error_log {prefix}/error.log warn;\n"
            f"events {{ worker_connections 4096; }}\n"
            f"http {{ access_log off; keepalive_requests 1000000; client_body_temp_path {prefix}/tmp;\n"
            f"proxy_temp_path {prefix}/tmp; fastcgi_temp_path {prefix}/tmp; uwsgi_temp_path {prefix}/tmp;\n"
            f"scgi_temp_path {prefix}/tmp;\n{site}\n}}\n")


def load_arguments() -> argparse.ArgumentParser:
    """The load every wrk-driven bench takes: server workers, wrk connections, seconds and threads."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    return parser


def main() -> int:
    parser = load_arguments()
    parser.add_argument("--large", action="store_true")
    parser.add_argument("--only", default="", help="run only the cases whose label contains this text")
    args = parser.parse_args()
    ensure_tools()

    work = Path(tempfile.mkdtemp(prefix="apkdepot-hotpath-"))
    work.chmod(0o755)  # nginx workers run as an unprivileged user and must read the static files
    data = work / "data"
    print("preparing data…", flush=True)
    started = time.time()
    prepare(data, args.large)
    print(f"prepared in {time.time() - started:.0f} s", flush=True)

    port = free_port()
    env = {**os.environ, "APKDEPOT_PUBLIC_URL": "http://127.0.0.1", "APKDEPOT_LOG_JSON": "true"}
    server = subprocess.Popen([sys.executable, "-m", "apkdepot.cli", "serve", "--data", str(data), "--port", str(port),
                               "--workers", str(args.workers)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=env, cwd=ROOT)
    nginx = None
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/healthz")
        token = subprocess.run([sys.executable, "-m", "apkdepot.cli", "developer", "token", "--data", str(data),
                                "--email", "demo@apkdepot.localhost"], capture_output=True, text=True, check=True,
                               cwd=ROOT).stdout.strip()
        repos = ["demo", "synthetic-a", "synthetic-b"] + (["large"] if args.large else [])
        metas = {r: httpx.get(f"{base}/api/7/store/getMeta/store_name={r}").json()["data"] for r in repos}
        from apkdepot.db.engine import make_engine
        import sqlalchemy as sa

        engine = make_engine(f"sqlite:///{data / 'apkdepot.sqlite3'}")
        with engine.connect() as conn:
            def hash_of(store: str, version: int) -> str:
                return conn.execute(sa.text("SELECT v.md5 FROM index_versions v JOIN stores s ON s.id = v.store_id "
                                            "WHERE s.name = :n AND v.version = :v"), {"n": store, "v": version}).scalar_one()

            # demo: current; synthetic-a: a few versions old; synthetic-b: unknown.
            held = [metas["demo"]["hash"], hash_of("synthetic-a", metas["synthetic-a"]["version"] - 3), "0" * 32]
            old_large = hash_of("large", 3) if args.large else None
        engine.dispose()
        cases = [
            ("listRepositoryChange (3 repos)", f"/webservices/listRepositoryChange/demo,synthetic-a,synthetic-b/{','.join(held)}/json?token={token}"),
            ("info.xml?hash=<old> (delta)", f"/repo/synthetic-a/info.xml?hash={held[1]}"),
            ("store/getMeta", "/api/7/store/getMeta/store_name=synthetic-a"),
        ]
        if args.large:
            cases += [
                ("listRepositoryChange, 100k-app store", f"/webservices/listRepositoryChange/large/{old_large}/json?token={token}"),
                ("info.xml?hash=<10,000 versions old>", f"/repo/large/info.xml?hash={old_large}"),
                ("store/getMeta, 100k-app store", "/api/7/store/getMeta/store_name=large"),
            ]

        cases = [case for case in cases if args.only in case[0]]
        prefix = work / "nginx"
        (prefix / "www").mkdir(parents=True)
        (prefix / "tmp").mkdir()
        static = {}
        for i, (label, path) in enumerate(cases):
            response = httpx.get(base + path, headers={"Accept-Encoding": "identity"})
            assert response.status_code == 200, (label, response.text[:300])
            (prefix / "www" / f"case{i}").write_bytes(response.content)
            static[label] = (f"/case{i}", len(response.content), response.content[:140])
        nginx_port = free_port()
        (prefix / "nginx.conf").write_text(NGINX_CONF.format(workers=args.workers, prefix=prefix, port=nginx_port))
        nginx = subprocess.Popen(["/usr/sbin/nginx", "-c", str(prefix / "nginx.conf"), "-p", str(prefix)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(f"http://127.0.0.1:{nginx_port}/case0")

        print(f"\n{args.workers} workers each, wrk -t{args.threads} -c{args.connections} -d{args.seconds}s, loopback\n")
        print(f"{'endpoint':40} {'bytes':>8} {'ApkDepot req/s':>15} {'p99 ms':>8} {'nginx req/s':>12} {'p99 ms':>8} {'ratio':>6}")
        for label, path in cases:
            ours = wrk(base + path, args.connections, args.seconds, args.threads)
            theirs = wrk(f"http://127.0.0.1:{nginx_port}{static[label][0]}", args.connections, args.seconds, args.threads)
            assert ours[2] == 0 and theirs[2] == 0, "non-2xx answers during the run"
            print(f"{label:40} {static[label][1]:>8} {ours[0]:>15.0f} {ours[1]:>8.2f} {theirs[0]:>12.0f} {theirs[1]:>8.2f} "
                  f"{ours[0] / theirs[0]:>6.2f}", flush=True)
        print("\nsample answer:", static[cases[0][0]][2].decode(errors="replace"))
    finally:
        stop_processes(server, nginx)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
