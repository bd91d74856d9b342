"""The hot path under realistic traffic, side by side with nginx, in one run.

    .venv/bin/python bench/realistic.py [--workers 2] [--connections 64] [--seconds 10] [--repeats 3]
                                        [--stores 40] [--pool 20000] [--large]

Real devices each send their own request: this bench builds pools of distinct
URLs (random stores; a hash that is the store's current one, one of its last
1,000 versions, or unknown; one of 201 developers' tokens) and wrk walks them
at random (a Lua script), for listRepositoryChange, info.xml deltas,
store/getMeta and the 80/15/5 mix (update checks / deltas / v7 apps/get).
nginx serves byte-identical answers to the same pools as static files. Both
get the same wrk threads and connections; each case runs --repeats times and
reports min/median/max req/s and p99, the ratio of medians, and the peak RSS
of each ApkDepot worker. --large adds a store of 100,000 apps with 10,000
index versions to the pools. The last line repeats one fixed URL: that is a
memo hit, labelled as such.

Two more measurements follow. The nginx-served mode: nginx in front with
deploy/nginx/apkdepot.conf and APKDEPOT_STATIC_MIRROR_DIR, walking the same
info.xml delta pool (each answer was asked of ApkDepot once while the pools were
fetched, which linked it into the mirror). Publishing under load: while wrk
walks the listRepositoryChange pool, a publish lands in the biggest store every
two seconds (written beside the server, built by its maintenance thread); each
publish's time until a client holding the previous hash gets the new package in
its info.xml delta, and update-check throughput during the publishes against
the same run without them."""

from __future__ import annotations

import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.update_check import (  # noqa: E402
    NGINX_CONF, ensure_tools, free_port, front_config, load_arguments, stop_processes, wait_for, write_history,
)

WRK_POOL_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("POOL")) do paths[#paths + 1] = line end
local counter = 0
function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end
function request()
  return wrk.format(nil, paths[math.random(#paths)])
end
"""

TOKENS = 201
HISTORY = 1000


def prepare(data: Path, stores: int, large: bool) -> dict:
    """Stores with histories and 201 developers; returns what the pools are made of."""
    import sqlalchemy as sa

    from apkdepot.accounts import services as accounts
    from apkdepot.config import Settings
    from apkdepot.db.migrate import upgrade
    from apkdepot.db.schema import index_versions
    from apkdepot.services import build_services
    from bench._synthetic import filled_store

    svc = build_services(Settings(data_dir=data, public_url="http://127.0.0.1", background=False, log_json=False,
                                  password_memory_kib=1024))
    upgrade(svc.db.engine)
    owner, _ = accounts.create_confirmed_developer(svc, {"email": "owner@example.com", "password": "bench-pass1",
                                                         "name": "Owner", "account_type": "personal"})
    tokens = [accounts.dev_token(svc, owner)]
    for i in range(TOKENS - 1):
        developer, _ = accounts.create_confirmed_developer(svc, {"email": f"dev{i}@example.com", "password": "bench-pass1",
                                                                 "name": f"Dev {i}", "account_type": "personal"})
        tokens.append(accounts.dev_token(svc, developer))
    names = [f"store{i:03d}" for i in range(stores)]
    for i, name in enumerate(names):
        store = filled_store(svc, owner.id, name, 100 if i % 2 else 400)
        write_history(svc, store.id, 200 + (i * 37) % 800)
    if large:
        big = filled_store(svc, owner.id, "large", 100_000)
        write_history(svc, big.id, 10_000)
        names.append("large")
    hashes: dict[str, list[str]] = {}
    with svc.db.read() as conn:
        for name in names:
            store_id = conn.execute(sa.text("SELECT id FROM stores WHERE name = :n"), {"n": name}).scalar_one()
            hashes[name] = list(conn.execute(sa.select(index_versions.c.md5).where(index_versions.c.store_id == store_id)
                                             .order_by(index_versions.c.version.desc()).limit(HISTORY + 1)).scalars())
    svc.close()
    return {"names": names, "hashes": hashes, "tokens": tokens}


def make_pools(world: dict, size: int, seed: int = 20261122) -> dict[str, list[str]]:
    rng = random.Random(seed)
    names, hashes, tokens = world["names"], world["hashes"], world["tokens"]

    def held(name: str) -> str:
        roll = rng.random()
        if roll < 0.5:
            return hashes[name][0]  # up to date: the commonest answer
        if roll < 0.95:
            return rng.choice(hashes[name][1:])  # some version it served
        return "%032x" % rng.getrandbits(128)  # never seen

    def change() -> str:
        repos = rng.sample(names, rng.choice((1, 1, 2, 3)))
        return (f"/webservices/listRepositoryChange/{','.join(repos)}/{','.join(held(r) for r in repos)}/json"
                f"?token={rng.choice(tokens)}")

    def delta() -> str:
        name = rng.choice(names)
        return f"/repo/{name}/info.xml?hash={rng.choice(hashes[name][1:])}"

    def meta() -> str:
        return f"/api/7/store/getMeta/store_name={rng.choice(names)}"

    def listing() -> str:
        return f"/api/7/apps/get/store_name={rng.choice(names)}/limit=25/offset={rng.randrange(0, 100, 25)}"

    def unique(make, count: int) -> list[str]:
        found: dict[str, None] = {}
        attempts = 0
        while len(found) < count and attempts < count * 20:
            found[make()] = None
            attempts += 1
        return list(found)

    mix = unique(change, size * 80 // 100) + unique(delta, size * 15 // 100) + unique(listing, size * 5 // 100)
    rng.shuffle(mix)
    return {"listRepositoryChange": unique(change, size), "info.xml deltas": unique(delta, size // 4),
            "store/getMeta": unique(meta, len(names)), "80/15/5 mix": mix}


def wrk(base: str, pool_file: Path | None, path: str, connections: int, seconds: int, threads: int,
        script: Path) -> tuple[float, float, int]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if pool_file is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, base + path], capture_output=True, text=True, check=True,
                         env={"POOL": str(pool_file) if pool_file else "", "PATH": "/usr/bin:/bin"}).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99_raw = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(p99_raw.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99_raw.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p99, int(bad.group(1)) if bad else 0


def worker_peak_rss(server_pid: int) -> list[int]:
    """VmHWM (peak resident set) of each descendant of the server process, in MiB."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry.name))
    peaks, todo = [], list(children.get(server_pid, []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        if found and "python" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
            peaks.append(int(found.group(1)) // 1024)
    return sorted(peaks, reverse=True)


def publish_under_load(base: str, data: Path, store: str, pool: Path, script: Path, args) -> None:
    """Update-check throughput with and without a publish every two seconds into
    ``store``, and each publish's time until its delta is served."""
    import threading
    from datetime import datetime, timezone

    import sqlalchemy as sa

    from apkdepot.config import Settings
    from apkdepot.db.schema import apks, stores
    from apkdepot.index import versions
    from apkdepot.services import build_services
    from bench._synthetic import row

    svc = build_services(Settings(data_dir=data, public_url="http://127.0.0.1", background=False, log_json=False,
                                  password_memory_kib=1024))
    with svc.db.read() as conn:
        store_id = conn.execute(sa.select(stores.c.id).where(stores.c.name == store)).scalar_one()
    latencies: list[float] = []
    stop = threading.Event()

    def current_hash(client: httpx.Client) -> str:
        return client.get(f"/api/7/store/getMeta/store_name={store}").json()["data"]["hash"]

    def publisher() -> None:
        with httpx.Client(base_url=base, headers={"Accept-Encoding": "identity"}, timeout=60) as client:
            number = 0
            while not stop.wait(2.0):
                number += 1
                package = f"org.bench.{store}.published{time.time_ns()}"
                held = current_hash(client)
                started = time.perf_counter()
                with svc.db.write() as conn:
                    conn.execute(apks.insert().values(**row(store_id, package, 1, datetime.now(timezone.utc))))
                    versions.mark_dirty(conn, store_id, [package])
                while package.encode() not in client.get(f"/repo/{store}/info.xml?hash={held}").content:
                    if time.perf_counter() - started > 60:
                        raise RuntimeError(f"{package} not served after 60 s")
                    time.sleep(0.005)
                latencies.append(time.perf_counter() - started)

    away, during = [], []
    for _ in range(args.repeats):
        away.append(wrk(base, pool, "/", args.connections, args.seconds, args.threads, script))
        stop.clear()
        thread = threading.Thread(target=publisher)
        thread.start()
        during.append(wrk(base, pool, "/", args.connections, args.seconds, args.threads, script))
        stop.set()
        thread.join()
    svc.close()
    ratio = statistics.median(r[0] for r in during) / statistics.median(r[0] for r in away)
    print(f"\npublishing under load into '{store}' (a publish every 2 s during the listRepositoryChange walk):")
    print(f"  update checks away from publishes  {spread([r[0] for r in away]):>16} req/s, "
          f"p99 {spread([r[1] for r in away])} ms")
    print(f"  update checks during publishes     {spread([r[0] for r in during]):>16} req/s, "
          f"p99 {spread([r[1] for r in during])} ms   ratio {ratio:.3f}")
    print(f"  publish -> delta served, {len(latencies)} publishes: "
          f"{spread([x * 1000 for x in latencies])} ms (min/median/max)", flush=True)


def spread(values: list[float]) -> str:
    return f"{min(values):.0f}/{statistics.median(values):.0f}/{max(values):.0f}"


def main() -> int:
    parser = load_arguments()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--stores", type=int, default=40)
    parser.add_argument("--pool", type=int, default=20_000)
    parser.add_argument("--large", action="store_true")
    args = parser.parse_args()
    ensure_tools()

    work = Path(tempfile.mkdtemp(prefix="apkdepot-realistic-"))
    work.chmod(0o755)
    data = work / "data"
    started = time.time()
    world = prepare(data, args.stores, args.large)
    pools = make_pools(world, args.pool)
    print(f"prepared {len(world['names'])} stores, {TOKENS} tokens, pools of "
          f"{', '.join(f'{k}: {len(v):,}' for k, v in pools.items())} in {time.time() - started:.0f} s", flush=True)

    port = free_port()
    mirror = work / "static"
    server = subprocess.Popen([sys.executable, "-m", "apkdepot.cli", "serve", "--data", str(data), "--port", str(port),
                               "--workers", str(args.workers)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={"PATH": "/usr/bin:/bin", "APKDEPOT_PUBLIC_URL": "http://127.0.0.1",
                                   "APKDEPOT_LOG_JSON": "true", "HOME": str(work),
                                   "APKDEPOT_STATIC_MIRROR_DIR": str(mirror)}, cwd=ROOT)
    nginx = front = None
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/healthz")
        prefix = work / "nginx"
        (prefix / "www" / "p").mkdir(parents=True)
        (prefix / "tmp").mkdir()
        script = work / "pool.lua"
        script.write_text(WRK_POOL_SCRIPT)
        ours_files, nginx_files = {}, {}
        started = time.time()
        numbered: dict[str, int] = {}
        with httpx.Client(base_url=base, headers={"Accept-Encoding": "identity"}, timeout=120) as client:
            for label, pool in pools.items():
                for path in pool:
                    if path not in numbered:
                        answer = client.get(path)
                        assert answer.status_code == 200, (path, answer.text[:200])
                        numbered[path] = len(numbered)
                        (prefix / "www" / "p" / str(numbered[path])).write_bytes(answer.content)
                ours_files[label] = work / f"ours-{len(ours_files)}.txt"
                ours_files[label].write_text("\n".join(pool) + "\n")
                nginx_files[label] = work / f"nginx-{len(nginx_files)}.txt"
                nginx_files[label].write_text("\n".join(f"/p/{numbered[p]}" for p in pool) + "\n")
        print(f"fetched {len(numbered):,} distinct answers for nginx in {time.time() - started:.0f} s "
              f"(this also warmed ApkDepot's caches once)", flush=True)
        nginx_port = free_port()
        (prefix / "nginx.conf").write_text(NGINX_CONF.format(workers=args.workers, prefix=prefix, port=nginx_port))
        nginx = subprocess.Popen(["/usr/sbin/nginx", "-c", str(prefix / "nginx.conf"), "-p", str(prefix)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(f"http://127.0.0.1:{nginx_port}/p/0")

        print(f"\n{args.workers} workers each, wrk -t{args.threads} -c{args.connections} -d{args.seconds}s, loopback, "
              f"{args.repeats} repeats: req/s and p99 ms as min/median/max\n")
        print(f"{'workload':34} {'ApkDepot req/s':>16} {'p99 ms':>12} {'nginx req/s':>18} {'p99 ms':>10} {'ratio':>6}")
        cases = [(label, ours_files[label], nginx_files[label], "/") for label in pools]
        first = pools["listRepositoryChange"][0]
        cases.append(("one fixed URL (memo hit)", None, None, first))
        for label, ours_pool, nginx_pool, path in cases:
            ours, theirs = [], []
            for _ in range(args.repeats):
                ours.append(wrk(base, ours_pool, path, args.connections, args.seconds, args.threads, script))
                nginx_path = path if nginx_pool is not None else f"/p/{numbered[first]}"
                theirs.append(wrk(f"http://127.0.0.1:{nginx_port}", nginx_pool, nginx_path, args.connections,
                                  args.seconds, args.threads, script))
            bad = sum(r[2] for r in ours) + sum(r[2] for r in theirs)
            ratio = statistics.median(r[0] for r in ours) / statistics.median(r[0] for r in theirs)
            print(f"{label:34} {spread([r[0] for r in ours]):>16} {spread([r[1] for r in ours]):>12} "
                  f"{spread([r[0] for r in theirs]):>18} {spread([r[1] for r in theirs]):>10} {ratio:>6.3f}"
                  + (f"  ({bad} non-2xx)" if bad else ""), flush=True)
        print(f"\npeak RSS per ApkDepot process (MiB): {worker_peak_rss(server.pid)}")

        front_port = free_port()
        (prefix / "front.conf").write_text(front_config(prefix, front_port, f"127.0.0.1:{port}", mirror,
                                                        workers=args.workers))
        front = subprocess.Popen(["/usr/sbin/nginx", "-c", str(prefix / "front.conf"), "-p", str(prefix)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        front_base = f"http://127.0.0.1:{front_port}"
        wait_for(front_base + "/healthz")
        label = "info.xml deltas"
        served, theirs = [], []
        for _ in range(args.repeats):
            served.append(wrk(front_base, ours_files[label], "/", args.connections, args.seconds, args.threads, script))
            theirs.append(wrk(f"http://127.0.0.1:{nginx_port}", nginx_files[label], "/", args.connections,
                              args.seconds, args.threads, script))
        ratio = statistics.median(r[0] for r in served) / statistics.median(r[0] for r in theirs)
        print("\nnginx-served mode (deploy/nginx/apkdepot.conf + static mirror), same pool:")
        print(f"{label + ', nginx-served':34} {spread([r[0] for r in served]):>16} {spread([r[1] for r in served]):>12} "
              f"{spread([r[0] for r in theirs]):>18} {spread([r[1] for r in theirs]):>10} {ratio:>6.3f}", flush=True)

        target = "large" if args.large else world["names"][0]
        publish_under_load(base, data, target, ours_files["listRepositoryChange"], script, args)
        print(f"\npeak RSS per ApkDepot process after everything (MiB): {worker_peak_rss(server.pid)}")
    finally:
        stop_processes(server, nginx, front)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
