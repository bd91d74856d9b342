"""The inspector against Debian's aapt and apksigner, on real APKs, and every
way a hostile or broken file is refused."""

from __future__ import annotations

import io
import re
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from apkdepot.apk.info import ApkRejected
from apkdepot.apk.inspect import ZipLimits, inspect_apk, publish_problem
from apkdepot.apk.sandbox import SandboxLimits, inspect_in_sandbox
from tests.conftest import needs_tool
from tests.helpers import FIXTURES

FRAMEWORK = Path("/usr/share/android-framework-res/framework-res.apk")
needs_aapt = needs_tool("aapt", "framework-res")
needs_apksigner = needs_tool("apksigner")

ALL_APKS = sorted(p.name for p in FIXTURES.glob("*.apk"))


def badging(path: Path) -> dict:
    out = subprocess.run(["aapt", "dump", "badging", str(path)], capture_output=True, text=True, check=True).stdout
    package = re.search(r"package: name='([^']*)' versionCode='([^']*)' versionName='([^']*)'", out)
    return {
        "package": package.group(1),
        "version_code": int(package.group(2)),
        "version_name": package.group(3),
        "min_sdk": int(re.search(r"sdkVersion:'(\d+)'", out).group(1)),
        "target_sdk": int(re.search(r"targetSdkVersion:'(\d+)'", out).group(1)),
        "permissions": sorted(set(re.findall(r"uses-permission: name='([^']*)'", out))),
        "label": (re.search(r"application-label:'([^']*)'", out) or re.search(r"application: label='([^']*)'", out)).group(1),
        "abis": sorted(re.findall(r"'([^']+)'", m.group(1))) if (m := re.search(r"native-code: (.*)", out)) else [],
    }


@needs_aapt
@pytest.mark.parametrize("name", ALL_APKS + ["framework-res"])
def test_fields_match_aapt(name):
    path = FRAMEWORK if name == "framework-res" else FIXTURES / name
    info = inspect_apk(path)
    expected = badging(path)
    got = {"package": info.package, "version_code": info.version_code, "version_name": info.version_name,
           "min_sdk": info.min_sdk, "target_sdk": info.target_sdk, "permissions": list(info.permissions),
           "label": info.label, "abis": list(info.abis)}
    assert got == expected
    assert info.icon_png and info.icon_png.startswith(b"\x89PNG")


@needs_apksigner
@pytest.mark.parametrize("name", [n for n in ALL_APKS if n != "unsigned.apk"])
def test_signer_matches_apksigner(name):
    out = subprocess.run(["apksigner", "verify", "--print-certs", str(FIXTURES / name)],
                         capture_output=True, text=True, check=True).stdout
    info = inspect_apk(FIXTURES / name)
    assert f"certificate SHA-256 digest: {info.signer_sha256}" in out
    assert f"certificate SHA-1 digest: {info.signer_sha1}" in out
    assert info.signing_schemes == ("v1", "v2", "v3")


def test_version_name_resource_reference_is_resolved():
    info = inspect_apk(FIXTURES / "alpha-2.apk")
    assert info.version_name == "1.1"  # the manifest says @string/version_name


def test_hashes_and_size():
    import hashlib

    data = (FIXTURES / "beta-10.apk").read_bytes()
    info = inspect_apk(FIXTURES / "beta-10.apk")
    assert (info.md5, info.sha256, info.size) == (hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest(), len(data))


def test_unsigned_is_inspected_but_not_publishable():
    info = inspect_apk(FIXTURES / "unsigned.apk")
    assert info.signer_sha256 is None
    assert publish_problem(info).reason == "unsigned"


# --- rejections --------------------------------------------------------------------

def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def reason(path: Path, **kw) -> str:
    with pytest.raises(ApkRejected) as caught:
        inspect_in_sandbox(path, **kw)
    return caught.value.reason


def test_not_a_zip(tmp_path):
    assert reason(write(tmp_path, "x.apk", b"this is not an apk")) == "not_zip"


def test_truncated(tmp_path):
    data = (FIXTURES / "alpha-1.apk").read_bytes()
    assert reason(write(tmp_path, "t.apk", data[: len(data) // 2])) == "not_zip"


def test_corrupted_entry_fails_its_crc(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("AndroidManifest.xml", b"A" * 4000)
    data = bytearray(buffer.getvalue())
    data[100] ^= 0xFF  # inside the stored manifest bytes
    assert reason(write(tmp_path, "c.apk", bytes(data))) == "not_zip"


def test_no_manifest(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("classes.dex", b"dex\n035\x00")
    assert reason(write(tmp_path, "n.apk", buffer.getvalue())) == "bad_manifest"


def test_garbled_manifest(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("AndroidManifest.xml", b"\x03\x00\x08\x00" + bytes(range(256)) * 8)
        zf.writestr("resources.arsc", b"\x00" * 64)
    assert reason(write(tmp_path, "g.apk", buffer.getvalue())) == "bad_manifest"


def _bomb(tmp_path: Path, entries: int, entry_bytes: int) -> Path:
    path = tmp_path / "bomb.apk"
    zeros = b"\x00" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for i in range(entries):
            with zf.open(f"res/raw/zero{i}.bin", "w") as out:
                for _ in range(entry_bytes >> 20):
                    out.write(zeros)
    return path


def test_zip_bomb_high_ratio_entry_is_refused_quickly(tmp_path):
    bomb = _bomb(tmp_path, 1, 64 << 20)  # 64 MiB of zeros in ~64 KiB
    assert bomb.stat().st_size < 1 << 20
    started = time.monotonic()
    assert reason(bomb, limits=SandboxLimits(memory_bytes=512 << 20)) == "zip_bomb"
    assert time.monotonic() - started < 10


def test_zip_bomb_by_total_size_is_refused(tmp_path):
    bomb = _bomb(tmp_path, 12, 8 << 20)  # each entry under the ratio floor, 96 MiB in all
    limits = SandboxLimits(memory_bytes=512 << 20, zip=ZipLimits(max_total_bytes=64 << 20))
    assert reason(bomb, limits=limits) == "zip_bomb"


def test_too_many_entries(tmp_path):
    path = tmp_path / "many.apk"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(60):
            zf.writestr(f"f{i}", b"")
    assert reason(path, limits=SandboxLimits(zip=ZipLimits(max_entries=50))) == "zip_bomb"


def test_sandbox_memory_limit_stops_a_runaway_inspection(tmp_path):
    # A valid APK inspected under an address-space limit too small for Python
    # with androguard: the child fails or dies, the caller gets the memory refusal.
    assert reason(FIXTURES / "alpha-1.apk", limits=SandboxLimits(memory_bytes=64 << 20)) == "too_big"


def test_tampered_signature_is_refused(tmp_path):
    # A well-formed ZIP carrying the original v1 signature files, with one entry
    # changed after signing: the in-process verifier refuses it (apksigner too,
    # see tests/security).
    path = tmp_path / "tampered.apk"
    with zipfile.ZipFile(FIXTURES / "alpha-1.apk") as src, zipfile.ZipFile(path, "w") as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith(".png"):
                data += b"tampered"
            out.writestr(item, data)
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
    with pytest.raises(ApkRejected) as caught:
        inspect_apk(path)  # the v2/v3 block did not survive the rewrite; v1 no longer matches
    assert caught.value.reason == "bad_signature"
    assert reason(path) == "bad_signature"
