import subprocess
import sys
from pathlib import Path

from apkdepot.cli import main


def test_init_developer_create_and_token(tmp_path, capsys):
    data = str(tmp_path / "data")
    assert main(["init", "--data", data]) == 0
    assert (tmp_path / "data" / "secret.key").exists()
    assert main(["migrate", "--data", data]) == 0
    capsys.readouterr()
    assert main(["developer", "create", "--data", data, "--email", "op@example.com", "--password", "abcdefg1",
                 "--name", "Op", "--account-type", "business", "--business-name", "Op Apps", "--company-name", "Op Lda",
                 "--address", "Rua 1", "--city", "Porto", "--zip-code", "4000-001", "--country", "PT",
                 "--phone", "+351912345678", "--tax-id", "PT1"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert len(token) == 40
    assert main(["developer", "token", "--data", data, "--email", "op@example.com"]) == 0
    assert capsys.readouterr().out.strip() == token
    assert main(["developer", "token", "--data", data, "--email", "op@example.com", "--regenerate"]) == 0
    new = capsys.readouterr().out.strip()
    assert new != token and len(new) == 40
    assert main(["developer", "token", "--data", data, "--email", "nobody@example.com"]) == 1


def test_developer_create_reports_every_rule(tmp_path, capsys):
    assert main(["init", "--data", str(tmp_path)]) == 0
    assert main(["developer", "create", "--data", str(tmp_path), "--email", "bad", "--password", "x", "--name", "N"]) == 2
    err = capsys.readouterr().err
    assert "REG-1 [email]" in err and "REG-3 [password]" in err


def test_console_script_is_installed():
    # The `apkdepot` script pip installed beside this interpreter, run as a user would.
    script = Path(sys.executable).with_name("apkdepot")
    assert script.is_file(), f"no console script at {script}"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "serve" in result.stdout and "publish" in result.stdout


def _installation(tmp_path, capsys) -> str:
    data = str(tmp_path / "data")
    assert main(["init", "--data", data]) == 0
    assert main(["developer", "create", "--data", data, "--email", "op@example.com", "--password", "abcdefg1",
                 "--name", "Op"]) == 0
    capsys.readouterr()
    return data


def test_commands_in_the_wrong_folder_create_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for argv in (["developer", "token", "--email", "x@example.com"], ["gc"], ["migrate"],
                 ["store", "create", "shop", "--owner", "x@example.com"], ["token", "create", "--email", "x@example.com"],
                 ["publish", "--store", "shop", str(Path(__file__).parent / "fixtures" / "apks" / "alpha-1.apk")]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert f"no ApkDepot database in {tmp_path / 'data'}" in err and "apkdepot init" in err, err
    assert list(tmp_path.iterdir()) == []


def test_old_schema_is_reported_not_migrated(tmp_path, capsys):
    from apkdepot.db.engine import make_engine
    from apkdepot.db.migrate import downgrade, is_current

    data = _installation(tmp_path, capsys)
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'apkdepot.sqlite3'}")
    downgrade(engine, "0003")
    assert main(["developer", "token", "--data", data, "--email", "op@example.com"]) == 2
    assert "run `apkdepot migrate`" in capsys.readouterr().err
    assert not is_current(engine)
    assert main(["migrate", "--data", data]) == 0 and is_current(engine)
    engine.dispose()


def test_bad_settings_are_one_clear_line(tmp_path, monkeypatch):
    import os

    for variable, value, says in (("APKDEPOT_PORT", "abc", "expected a whole number"),
                                  ("APKDEPOT_WORKERS", "0", "must be at least 1"),
                                  ("APKDEPOT_BACKGROUND", "maybe", "expected one of"),
                                  ("APKDEPOT_PUBLIC_URL", "example.org", "http:// or https://"),
                                  ("APKDEPOT_TRUSTED_PROXIES", "not-an-ip", "APKDEPOT_TRUSTED_PROXIES"),
                                  ("APKDEPOT_STORE_DOMAIN", "*.Store.example.com", "lower-case domain name")):
        env = {**os.environ, variable: value}
        result = subprocess.run([sys.executable, "-m", "apkdepot.cli", "migrate", "--data", str(tmp_path)],
                                capture_output=True, text=True, env=env)
        assert result.returncode == 2, (variable, result.stderr)
        assert "Traceback" not in result.stderr and variable in result.stderr and says in result.stderr


def test_store_create_and_each_problem_once(tmp_path, capsys):
    data = _installation(tmp_path, capsys)
    assert main(["store", "create", "shop", "--data", data, "--owner", "op@example.com", "--description", "D"]) == 0
    assert "store shop created" in capsys.readouterr().out
    assert main(["store", "create", "shop", "--data", data, "--owner", "op@example.com"]) == 2
    assert "REPO-2" in capsys.readouterr().err
    assert main(["store", "create", "closed", "--data", data, "--owner", "op@example.com", "--private"]) == 2
    err = capsys.readouterr().err
    assert err.count("REPO-5") == 1, err
    assert main(["store", "create", "x", "--data", data, "--owner", "nobody@example.com"]) == 1


def test_local_publish_names_every_file_and_builds_the_index(tmp_path, capsys):
    from apkdepot.services import build_services
    from apkdepot.config import load_settings
    from tests.helpers import fixture, index_entries_of

    data = _installation(tmp_path, capsys)
    assert main(["store", "create", "shop", "--data", data, "--owner", "op@example.com"]) == 0
    capsys.readouterr()
    code = main(["publish", "--data", data, "--store", "shop", str(fixture("gamma-5.apk")), str(fixture("unsigned.apk"))])
    assert code == 1
    err = capsys.readouterr().err
    assert "gamma-5.apk: published org.apkdepot.gamma 5.0 (5)" in err
    assert "unsigned.apk: APK-4: The APK is not signed." in err
    svc = build_services(load_settings(data_dir=Path(data)))
    try:
        from apkdepot.catalog import stores
        from apkdepot.index import versions

        store = stores.get_store(svc, "shop")
        assert store.current_version == 2
        body = svc.blobs.get_bytes(versions.index_key(store.id, store.current_version))
        assert index_entries_of(body) == {"org.apkdepot.gamma": 5}
    finally:
        svc.close()
    assert main(["publish", "--data", data, "--store", "nope", str(fixture("gamma-5.apk"))]) == 1
    assert main(["publish", "--data", data, "--store", "shop", str(tmp_path / "missing.apk")]) == 2


def test_remote_publish_failures_are_one_line(tmp_path):
    from tests.helpers import fixture
    from tests.test_server import free_port

    apk = str(fixture("gamma-5.apk"))
    for server, says in ((f"http://127.0.0.1:{free_port()}", "cannot reach"), ("127.0.0.1:8000", "give the full address")):
        result = subprocess.run([sys.executable, "-m", "apkdepot.cli", "publish", "--store", "s", "--server", server,
                                 "--token", "t", apk], capture_output=True, text=True)
        assert result.returncode == 2
        assert says in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) <= 2


def test_gc_and_token_create(tmp_path, capsys):
    data = _installation(tmp_path, capsys)
    stray = tmp_path / "data" / "tmp"
    stray.mkdir(exist_ok=True)
    (stray / "upload-leftover").write_bytes(b"x")
    assert main(["gc", "--data", data, "--older-than", "0"]) == 0
    assert "1 temporary files" in capsys.readouterr().out
    assert not (stray / "upload-leftover").exists()
    assert main(["token", "create", "--data", data, "--email", "op@example.com", "--name", "ci"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip().startswith("apkd.") and "shown only now" in captured.err


def test_listing_show_set_and_image(tmp_path, capsys):
    import io
    import json

    from PIL import Image

    from tests.helpers import fixture

    data = _installation(tmp_path, capsys)
    assert main(["store", "create", "shop", "--data", data, "--owner", "op@example.com"]) == 0
    assert main(["publish", "--data", data, "--store", "shop", str(fixture("gamma-5.apk"))]) == 0
    capsys.readouterr()
    assert main(["listing", "show", "--data", data, "--store", "shop", "org.apkdepot.gamma"]) == 0
    assert json.loads(capsys.readouterr().out)["locales"] == {}
    wanted = tmp_path / "listing.json"
    wanted.write_text(json.dumps({"locales": {"pt_BR": {"name": "Gama", "summary": "Resumo"}}, "license": "MIT"}))
    assert main(["listing", "set", "--data", data, "--store", "shop", "org.apkdepot.gamma", str(wanted)]) == 0
    assert json.loads(capsys.readouterr().out)["locales"]["pt-BR"]["name"] == "Gama"
    shot = tmp_path / "shot.png"
    buffer = io.BytesIO()
    Image.new("RGB", (400, 800), (1, 2, 3)).save(buffer, "PNG")
    shot.write_bytes(buffer.getvalue())
    assert main(["listing", "image", "--data", data, "--store", "shop", "--locale", "pt-BR", "org.apkdepot.gamma",
                 str(shot)]) == 0
    assert "(400×800) added to org.apkdepot.gamma as a phone image in pt-BR" in capsys.readouterr().out
    assert main(["listing", "show", "--data", data, "--store", "shop", "org.apkdepot.gamma"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["license"] == "MIT" and shown["screenshots"]["pt-BR"][0]["width"] == 400
    # Each problem is one clear line; nothing changes.
    wanted.write_text(json.dumps({"license": "GPL<3>", "website": "ftp://x"}))
    assert main(["listing", "set", "--data", data, "--store", "shop", "org.apkdepot.gamma", str(wanted)]) == 2
    err = capsys.readouterr().err
    assert "LIST-1 [license]" in err and "LIST-1 [website]" in err
    wanted.write_text("[1, 2]")
    assert main(["listing", "set", "--data", data, "--store", "shop", "org.apkdepot.gamma", str(wanted)]) == 2
    shot.write_bytes(b"not an image")
    assert main(["listing", "image", "--data", data, "--store", "shop", "org.apkdepot.gamma", str(shot)]) == 2
    assert "LIST-9 [image]" in capsys.readouterr().err
    assert main(["listing", "show", "--data", data, "--store", "shop", "org.example.none"]) == 2
    assert main(["listing", "show", "--data", data, "--store", "nope", "org.apkdepot.gamma"]) == 1


def test_init_makes_an_operator_and_the_admin_commands_work(tmp_path, capsys):
    import csv
    import io
    import json

    data = str(tmp_path / "data")
    assert main(["init", "--data", data, "--admin-email", "Root@Example.com"]) == 0
    out = capsys.readouterr().out
    assert "operator root@example.com created with password " in out
    assert main(["init", "--data", data, "--admin-email", "root@example.com"]) == 0  # again: nothing new
    assert "created" not in capsys.readouterr().out
    assert main(["developer", "create", "--data", data, "--email", "dev@example.com", "--password", "abcdefg1",
                 "--name", "Dev"]) == 0
    assert main(["store", "create", "shop", "--data", data, "--owner", "dev@example.com"]) == 0
    assert main(["publish", "--data", data, "--store", "shop", str(Path(__file__).parent / "fixtures" / "apks" /
                                                                   "gamma-5.apk")]) == 0
    capsys.readouterr()
    assert main(["admin", "developers", "--data", data]) == 0
    listed = capsys.readouterr().out
    assert "root@example.com" in listed and "yes" in listed and "dev@example.com" in listed
    assert main(["admin", "disable", "dev@example.com", "--data", data, "--reason", "spam"]) == 0
    assert "dev@example.com is disabled" in capsys.readouterr().out
    assert main(["admin", "disable", "dev@example.com", "--data", data, "--reason", " "]) == 2
    assert "ADMIN-4" in capsys.readouterr().err
    assert main(["admin", "enable", "dev@example.com", "--data", data]) == 0
    assert main(["admin", "suspend", "shop", "--data", data, "--reason", "malware"]) == 0
    assert main(["admin", "stores", "shop", "--data", data]) == 0
    assert "malware" in capsys.readouterr().out
    assert main(["admin", "resume", "shop", "--data", data]) == 0
    assert main(["admin", "takedown", "shop", "org.apkdepot.gamma", "--version-code", "5", "--data", data,
                 "--reason", "copyright"]) == 0
    assert "1 version of org.apkdepot.gamma taken down from shop" in capsys.readouterr().out
    assert main(["admin", "suspend", "nope", "--data", data, "--reason", "x"]) == 2
    assert "ADMIN-3" in capsys.readouterr().err
    assert main(["admin", "grant", "nobody@example.com", "--data", data]) == 2
    assert "ADMIN-2" in capsys.readouterr().err
    assert main(["admin", "audit", "--data", data, "--owner", "dev@example.com"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["action"] for e in events] == ["app.remove_version", "store.resume", "store.suspend",
                                             "developer.enable", "developer.disable", "app.publish", "store.create",
                                             "account.create"]
    assert {e["actor"] for e in events} == {"cli"}
    assert events[0]["after"] == {"reason": "copyright"}
    assert main(["admin", "audit", "--data", data, "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["action"], r["subject"]) for r in rows[-2:]] == [("operator.grant", "root@example.com"),
                                                                ("account.create", "root@example.com")]


def test_webhook_commands(tmp_path, capsys):
    import json

    data = _installation(tmp_path, capsys)
    assert main(["store", "create", "shop", "--data", data, "--owner", "op@example.com"]) == 0
    capsys.readouterr()
    assert main(["webhook", "add", "shop", "https://example.com/hook", "--data", data,
                 "--event", "app.published", "--event", "index.version"]) == 0
    added = capsys.readouterr()
    assert added.out.strip().startswith("whsec_") and "shown only now" in added.err
    assert main(["webhook", "add", "shop", "http://example.com/hook", "--data", data]) == 2
    assert "WEBHOOK-1" in capsys.readouterr().err
    assert main(["webhook", "list", "shop", "--data", data]) == 0
    listed = capsys.readouterr().out
    assert "https://example.com/hook" in listed and "app.published index.version" in listed
    hook_id = listed.splitlines()[-1].split()[0]
    assert main(["webhook", "ping", "shop", hook_id, "--data", data]) == 0
    capsys.readouterr()
    assert main(["webhook", "deliveries", "shop", hook_id, "--data", data]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["event"] == "ping" and json.loads(line)["status"] == "pending"
    assert main(["webhook", "remove", "shop", hook_id, "--data", data]) == 0
    assert main(["webhook", "remove", "shop", hook_id, "--data", data]) == 2
    assert "WEBHOOK-3" in capsys.readouterr().err
    assert main(["webhook", "list", "nope", "--data", data]) == 1


def test_store_rename_and_delete_commands(tmp_path, capsys):
    data = _installation(tmp_path, capsys)
    assert main(["store", "create", "shop", "--data", data, "--owner", "op@example.com"]) == 0
    capsys.readouterr()
    assert main(["store", "rename", "shop", "market", "--data", data]) == 0
    assert "store shop is now market" in capsys.readouterr().out
    assert main(["store", "rename", "market", "bad name", "--data", data]) == 2
    assert "REPO-3" in capsys.readouterr().err
    assert main(["store", "delete", "market", "--confirm", "shop", "--data", data]) == 2
    assert "REPO-8" in capsys.readouterr().err
    assert main(["store", "delete", "market", "--confirm", "market", "--data", data]) == 0
    assert "deleted" in capsys.readouterr().out
    assert main(["store", "create", "market", "--data", data, "--owner", "op@example.com"]) == 2
    assert "REPO-2" in capsys.readouterr().err


def test_the_developer_delete_command(tmp_path, capsys):
    data = _installation(tmp_path, capsys)
    assert main(["developer", "create", "--data", data, "--email", "x@example.com", "--password", "abcdefg1",
                 "--name", "X"]) == 0
    assert main(["store", "create", "xs", "--data", data, "--owner", "x@example.com"]) == 0
    capsys.readouterr()
    assert main(["developer", "delete", "x@example.com", "--confirm", "y@example.com", "--data", data]) == 2
    assert main(["developer", "delete", "x@example.com", "--confirm", "x@example.com", "--data", data]) == 0
    assert "deleted with its 1 stores" in capsys.readouterr().out
    assert main(["developer", "delete", "x@example.com", "--confirm", "x@example.com", "--data", data]) == 1


def test_moderation_commands(tmp_path, capsys):
    import json

    from tests.helpers import fixture

    data = _installation(tmp_path, capsys)
    assert main(["store", "create", "shop", "--data", data, "--owner", "op@example.com"]) == 0
    assert main(["admin", "moderate", "shop", "--data", data]) == 0
    assert main(["publish", "--data", data, "--store", "shop", str(fixture("alpha-1.apk")),
                 str(fixture("beta-10.apk"))]) == 0
    capsys.readouterr()
    assert main(["admin", "queue", "--data", data]) == 0
    alpha, beta = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert alpha["reasons"] == ["new app"] and beta["package"] == "org.apkdepot.beta"
    assert main(["admin", "approve", str(alpha["id"]), "--data", data]) == 0
    assert main(["admin", "reject", str(beta["id"]), "--reason", "no", "--data", data]) == 0
    assert main(["admin", "approve", str(beta["id"]), "--data", data]) == 2
    assert "MODERATION-1" in capsys.readouterr().err
    assert main(["admin", "queue", "--data", data]) == 0
    assert capsys.readouterr().out == ""
    assert main(["admin", "unmoderate", "shop", "--data", data]) == 0
