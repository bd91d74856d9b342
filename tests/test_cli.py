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
    assert main(["developer", "create", "--data", str(tmp_path), "--email", "bad", "--password", "x", "--name", "N"]) == 2
    err = capsys.readouterr().err
    assert "REG-1 [email]" in err and "REG-3 [password]" in err


def test_console_script_is_installed():
    # The `apkdepot` script pip installed beside this interpreter, run as a user would.
    script = Path(sys.executable).with_name("apkdepot")
    assert script.is_file(), f"no console script at {script}"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "serve" in result.stdout and "publish" in result.stdout
