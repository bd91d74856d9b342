"""APKs we did not build (shipped inside npm packages of the Appium project,
fetched at test time by scripts/fetch-real-apks): every fact we read agrees
with Debian's aapt, and every signer with apksigner."""

from __future__ import annotations

import re
import runpy
import subprocess
from pathlib import Path

import pytest

from apkdepot.apk.info import ApkRejected
from apkdepot.apk.inspect import inspect_apk
from tests.apk.test_inspect import badging
from tests.conftest import needs_tool

ROOT = Path(__file__).resolve().parents[2]
pytestmark = needs_tool("npm", "aapt", "apksigner", "framework-res")


@pytest.fixture(scope="module")
def real_apks() -> dict[str, Path]:
    fetch = runpy.run_path(str(ROOT / "scripts" / "fetch-real-apks"))["fetch"]
    return {p.name: p for p in fetch()}


NAMES = ["settings_apk-debug.apk", "appium-uiautomator2-server-v10.6.6.apk"]


@pytest.mark.parametrize("name", NAMES)
def test_facts_agree_with_aapt(real_apks, name):
    path = real_apks[name]
    info = inspect_apk(path)
    expected = badging(path)
    if expected["label"] == "":
        # No label in the manifest: listings show the package name instead.
        expected["label"] = expected["package"]
    got = {"package": info.package, "version_code": info.version_code, "version_name": info.version_name,
           "min_sdk": info.min_sdk, "target_sdk": info.target_sdk, "permissions": list(info.permissions),
           "label": info.label, "abis": list(info.abis)}
    assert got == expected


@pytest.mark.parametrize("name", NAMES)
def test_signer_agrees_with_apksigner(real_apks, name):
    path = real_apks[name]
    out = subprocess.run(["apksigner", "verify", "--print-certs", "--verbose", str(path)],
                         capture_output=True, text=True, check=True).stdout
    info = inspect_apk(path)
    assert re.findall(r"Signer #1 certificate SHA-256 digest: (\w+)", out) == [info.signer_sha256]
    assert re.findall(r"Signer #1 certificate SHA-1 digest: (\w+)", out) == [info.signer_sha1]
    verified = {f"v{n}" for n in ("2", "3") if f"Verified using v{n} scheme (APK Signature Scheme v{n}): true" in out}
    assert verified <= set(info.signing_schemes)


def test_test_apk_without_version_code_is_refused_as_such(real_apks):
    path = real_apks["appium-uiautomator2-server-debug-androidTest.apk"]
    assert "versionCode=''" in subprocess.run(["aapt", "dump", "badging", str(path)], capture_output=True,
                                              text=True).stdout
    with pytest.raises(ApkRejected) as caught:
        inspect_apk(path)
    assert caught.value.reason == "no_version_code"


def test_a_flipped_byte_in_a_real_apk_is_refused_by_both(real_apks, tmp_path):
    import zipfile

    from apkdepot.apk.signing import V2_BLOCK_ID, signing_block, zip_sections

    original = real_apks["settings_apk-debug.apk"].read_bytes()
    with zipfile.ZipFile(real_apks["settings_apk-debug.apk"]) as archive:
        first = next(i for i in archive.infolist() if i.header_offset == 0)
        assert first.compress_size > 0
    name_length, extra_length = int.from_bytes(original[26:28], "little"), int.from_bytes(original[28:30], "little")
    in_first_entry = 30 + name_length + extra_length + first.compress_size // 2
    _, pairs = signing_block(original, zip_sections(original))
    v2 = pairs[V2_BLOCK_ID]
    in_signing_block = original.find(v2) + len(v2) // 2  # inside the v2 signer (not the block's padding)
    for offset, reason in ((in_first_entry, "not_zip"), (in_signing_block, "bad_signature")):
        data = bytearray(original)
        data[offset] ^= 0x01
        path = tmp_path / f"flipped-{offset}.apk"
        path.write_bytes(bytes(data))
        with pytest.raises(ApkRejected) as caught:
            inspect_apk(path)
        assert caught.value.reason == reason, (offset, caught.value)
        assert subprocess.run(["apksigner", "verify", str(path)], capture_output=True).returncode != 0


def badging_details(path: Path) -> dict:
    """uses-permission (with maxSdkVersion), uses-permission-sdk-23 and uses-feature as aapt prints them."""
    out = subprocess.run(["aapt", "dump", "badging", str(path)], capture_output=True, text=True, check=True).stdout

    def permissions(tag: str) -> list:
        found = []
        for line in out.splitlines():
            if line.startswith(f"{tag}: "):
                name = re.search(r"name='([^']*)'", line).group(1)
                max_sdk = re.search(r"maxSdkVersion='([0-9]+)'", line)
                found.append([name, int(max_sdk.group(1)) if max_sdk else None])
        return found

    # Declared features: aapt also prints implied ones, each followed by its uses-implied-feature line.
    lines = [line.strip() for line in out.splitlines()]
    implied = {m.group(1) for line in lines if line.startswith("uses-implied-feature:")
               and (m := re.search(r"name='([^']*)'", line))}
    features = sorted({m.group(1) for line in lines if line.startswith("uses-feature:")
                       and (m := re.search(r"name='([^']*)'", line)) and m.group(1) not in implied})
    return {"uses_permission": permissions("uses-permission"), "uses_permission_sdk23": permissions("uses-permission-sdk-23"),
            "features": features}


@pytest.mark.parametrize("name", NAMES)
def test_manifest_details_agree_with_aapt(real_apks, name):
    path = real_apks[name]
    details = inspect_apk(path).details
    expected = badging_details(path)
    assert {k: details[k] for k in expected} == expected
    # These real APKs do carry the facts compared (not an empty comparison).
    assert any(max_sdk is not None for _, max_sdk in details["uses_permission"])
