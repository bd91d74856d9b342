"""Makes the hostile APKs the security tests upload, at test time, from the
real signed fixtures with Debian's aapt, zipalign and apksigner and the two
test keys. Each case names the refusal it must get.

    python -m tests.security.corpus OUT_DIR      (writes every case there)"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "apks"
KEYS = ROOT / "tests" / "fixtures" / "keys"
FRAMEWORK = Path("/usr/share/android-framework-res/framework-res.apk")
TOOLS = ("aapt", "zipalign", "apksigner")


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], Path]
    code: str  # the refusal code an upload gets
    reason: str  # the inspector's reason
    apksigner_refuses: bool  # whether Android's own verifier also refuses it


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _unsigned_copy(source: Path, target: Path) -> None:
    """The APK's entries without any signature files."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as out:
        for item in src.infolist():
            if not item.filename.startswith("META-INF/"):
                out.writestr(item, src.read(item))


def sign(unsigned: Path, target: Path, min_sdk: int, v1: bool = True, v2: bool = True, key: str = "a") -> Path:
    aligned = target.with_suffix(".aligned")
    _run("zipalign", "-f", "-p", "4", str(unsigned), str(aligned))
    _run("apksigner", "sign", "--key", str(KEYS / f"{key}.pk8"), "--cert", str(KEYS / f"{key}.x509.pem"),
         "--v1-signing-enabled", str(v1).lower(), "--v2-signing-enabled", str(v2).lower(),
         "--v3-signing-enabled", str(v2).lower(), "--min-sdk-version", str(min_sdk), "--out", str(target), str(aligned))
    aligned.unlink()
    target.with_name(target.name + ".idsig").unlink(missing_ok=True)
    return target


def v1_only(work: Path, fixture: str = "alpha-1.apk", min_sdk: int = 21, name: str = "v1only.apk") -> Path:
    unsigned = work / (name + ".unsigned")
    _unsigned_copy(FIXTURES / fixture, unsigned)
    return sign(unsigned, work / name, min_sdk, v2=False)


def v1_only_old_target(work: Path) -> Path:
    """v1 only, as Android still installs it: minSdkVersion 16, targetSdkVersion 28."""
    return v1_only(work, "beta-10.apk", 16, "v1only-beta.apk")


def shifted(data: bytes, prefix: bytes) -> bytes:
    """``prefix`` + the ZIP with every offset moved so the result is a
    consistent ZIP whose first entry starts after the prefix (Janus)."""
    shift = len(prefix)
    eocd = data.rfind(b"PK\x05\x06")
    entries, cd_size, cd_offset = struct.unpack_from("<HII", data, eocd + 10)
    cd = bytearray(data[cd_offset:cd_offset + cd_size])
    position = 0
    for _ in range(entries):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", cd, position + 28)
        local = struct.unpack_from("<I", cd, position + 42)[0]
        struct.pack_into("<I", cd, position + 42, local + shift)
        position += 46 + name_len + extra_len + comment_len
    end = bytearray(data[eocd:])
    struct.pack_into("<I", end, 16, cd_offset + shift)
    return prefix + data[:cd_offset] + bytes(cd) + bytes(end)


def make_janus(work: Path) -> Path:
    # A DEX file header (as the attack prepends one) before a v1-only APK.
    dex = b"dex\n035\x00" + b"\x00" * 104
    path = work / "janus.apk"
    path.write_bytes(shifted(v1_only_old_target(work).read_bytes(), dex))
    return path


def make_master_key(work: Path) -> Path:
    """Two entries named AndroidManifest.xml: Android and a verifier may read different ones."""
    path = work / "master-key.apk"
    source = v1_only(work)
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as out:
        for item in src.infolist():
            out.writestr(item, src.read(item))
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.writestr("AndroidManifest.xml", b"\x03\x00\x08\x00" + b"\x00" * 60)
    return path


def make_tampered_v1(work: Path) -> Path:
    path = work / "tampered-v1.apk"
    with zipfile.ZipFile(v1_only(work)) as src, zipfile.ZipFile(path, "w") as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "resources.arsc":
                data = data[:-1] + bytes([data[-1] ^ 0x01])
            out.writestr(item, data)
    return path


def make_extra_entry(work: Path) -> Path:
    path = work / "extra-entry.apk"
    shutil.copyfile(v1_only(work), path)
    with zipfile.ZipFile(path, "a") as out:
        out.writestr("classes.dex", b"dex\n035\x00" + b"\x00" * 104)
    return path


def make_name_differential(work: Path) -> Path:
    """The real manifest stored under the raw name b"AndroidManifest.xml\\xff"
    (not UTF-8, no UTF-8 flag), a decoy under the plain name."""
    staged = work / "name-differential.staged.apk"
    with zipfile.ZipFile(FIXTURES / "alpha-1.apk") as src, zipfile.ZipFile(staged, "w") as out:
        for item in src.infolist():
            out.writestr(item, src.read(item))
        out.writestr("AndroidManifest.xmlZ", src.read("AndroidManifest.xml"))
    path = work / "name-differential.apk"
    # Same length, in the local header and the central directory alike.
    path.write_bytes(staged.read_bytes().replace(b"AndroidManifest.xmlZ", b"AndroidManifest.xml\xff"))
    return path


def make_heavy_manifest(work: Path, elements: int = 100_000, name: str = "heavy-manifest.apk") -> Path:
    """A small APK whose manifest inflates to megabytes of elements (about
    100 bytes each): seconds of parser CPU for a few kilobytes uploaded."""
    body = "".join(f'<meta-data android:name="k{i % 50}" android:value="v"/>' for i in range(elements))
    unsigned = _aapt_build(work, name.removesuffix(".apk"), _manifest("org.apkdepot.heavy", body=body))
    return sign(unsigned, work / name, 21)


def _aapt_build(work: Path, name: str, manifest: str) -> Path:
    folder = work / name
    folder.mkdir()
    (folder / "AndroidManifest.xml").write_text(manifest)
    unsigned = work / f"{name}.unsigned.apk"
    _run("aapt", "package", "-f", "-M", str(folder / "AndroidManifest.xml"), "-I", str(FRAMEWORK), "-F", str(unsigned))
    return unsigned


def _manifest(package: str, version_code: str = 'android:versionCode="1"', body: str = "", min_sdk: int = 21,
              target_sdk: int = 30) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android"
  package="{package}" {version_code} android:versionName="1.0">
  <uses-sdk android:minSdkVersion="{min_sdk}" android:targetSdkVersion="{target_sdk}"/>
  <application android:label="Test" android:hasCode="false">{body}</application>
</manifest>
"""


def make_trailing_newline_package(work: Path) -> Path:
    """aapt refuses a newline in a package name, so the compiled manifest's
    string is patched in place (same length) before signing."""
    placeholder = "org.apkdepot.nlX"
    unsigned = _aapt_build(work, "newline", _manifest(placeholder))
    patched = work / "newline.patched.apk"
    with zipfile.ZipFile(unsigned) as src, zipfile.ZipFile(patched, "w") as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "AndroidManifest.xml":
                for encoding in ("utf-16-le", "utf-8"):
                    data = data.replace(placeholder.encode(encoding), "org.apkdepot.nl\n".encode(encoding))
            out.writestr(item, data)
    return sign(patched, work / "trailing-newline-package.apk", 21)


def make_no_version_code(work: Path) -> Path:
    unsigned = _aapt_build(work, "noversion", _manifest("org.apkdepot.noversion", version_code=""))
    return sign(unsigned, work / "no-version-code.apk", 21)


def make_v1_only_modern(work: Path) -> Path:
    """minSdkVersion 26 (target 28), signed with v1 only: Android installs it,
    but every device it installs on verifies v2, so v1 alone is a downgrade."""
    unsigned = _aapt_build(work, "modern", _manifest("org.apkdepot.modern", min_sdk=26, target_sdk=28))
    return sign(unsigned, work / "v1-only-modern.apk", 26, v2=False)


CASES = [
    Case("janus", make_janus, "APK-14", "unsafe_zip", apksigner_refuses=False),
    Case("master_key", make_master_key, "APK-14", "unsafe_zip", apksigner_refuses=True),
    Case("tampered_v1", make_tampered_v1, "APK-11", "bad_signature", apksigner_refuses=True),
    Case("extra_entry", make_extra_entry, "APK-11", "bad_signature", apksigner_refuses=True),
    Case("name_differential", make_name_differential, "APK-14", "unsafe_zip", apksigner_refuses=True),
    Case("trailing_newline_package", make_trailing_newline_package, "APK-8", "bad_package", apksigner_refuses=False),
    Case("no_version_code", make_no_version_code, "APK-18", "no_version_code", apksigner_refuses=False),
    Case("heavy_manifest", make_heavy_manifest, "APK-12", "too_complex", apksigner_refuses=False),
    Case("v1_only_modern", make_v1_only_modern, "APK-17", "v1_only", apksigner_refuses=False),
]
BY_NAME = {c.name: c for c in CASES}


def build(name: str, out_dir: Path) -> Path:
    work = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=out_dir))
    return BY_NAME[name].make(work)


def main() -> int:
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-apks")
    out_dir.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        path = build(case.name, out_dir)
        final = out_dir / f"{case.name}.apk"
        shutil.copyfile(path, final)
        print(f"{final}  expect {case.code} ({case.reason})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
