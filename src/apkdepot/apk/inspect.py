"""APK in, ApkInfo out. Runs inside the sandbox child (see sandbox.py): the
ZIP is checked entry by entry before androguard sees it, so a zip bomb or a
damaged archive is refused early and cheaply."""

from __future__ import annotations

import hashlib
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from zlib_ng import zlib_ng as zlib  # the zlib API, inflating about twice as fast

from apkdepot.apk.info import ApkInfo, ApkRejected
from apkdepot.apk.signing import verify_apk_signatures
from apkdepot.numbers import parse_whole

PACKAGE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+\Z")
PACKAGE_MAX = 255
KNOWN_ABIS = ("arm64-v8a", "armeabi-v7a", "armeabi", "x86", "x86_64", "mips", "mips64", "riscv64")
READ_CHUNK = 1 << 16


@dataclass(frozen=True)
class ZipLimits:
    max_entries: int = 20_000
    max_entry_bytes: int = 512 * 1024 * 1024
    max_total_bytes: int = 1024 * 1024 * 1024
    # An entry that inflates more than this many times over is treated as a bomb
    # once it is big enough to matter.
    max_ratio: int = 200
    ratio_floor_bytes: int = 16 * 1024 * 1024
    # Real manifests are kilobytes (the largest apps' under 2 MB); a bigger one
    # only buys parser CPU, so it is refused before androguard reads it.
    max_manifest_bytes: int = 8 * 1024 * 1024


def hashes(path: Path) -> tuple[str, str, int]:
    md5, sha256, size = hashlib.md5(), hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            md5.update(chunk)
            sha256.update(chunk)
            size += len(chunk)
    return md5.hexdigest(), sha256.hexdigest(), size


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    """The entry name's bytes as stored (zipfile decodes cp437 unless the UTF-8 flag is set)."""
    return info.filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")


def _normalised(name: str) -> str:
    """What two spellings of one path have in common: Unicode NFC, no ./ or
    repeated or leading slashes, case folded (filesystems and parsers differ)."""
    import unicodedata

    parts = [p for p in unicodedata.normalize("NFC", name).split("/") if p not in ("", ".")]
    return "/".join(parts).casefold()


def check_structure(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Refuses ZIPs that different readers would see differently: data before
    the first entry (Janus, CVE-2017-13156), duplicate entries (Master Key) or
    names that only differ in spelling, and names that are not UTF-8."""
    with path.open("rb") as fh:
        if fh.read(4) != b"PK\x03\x04":
            raise ApkRejected("unsafe_zip", "data before the first ZIP entry")
    if infos and min(i.header_offset for i in infos) != 0:
        raise ApkRejected("unsafe_zip", "data before the first ZIP entry")
    seen: set[str] = set()
    for info in infos:
        try:
            name = _raw_name(info).decode("utf-8")
        except (UnicodeDecodeError, UnicodeEncodeError):
            raise ApkRejected("unsafe_zip", "an entry name is not valid UTF-8") from None
        if "\x00" in name or "\\" in name:
            raise ApkRejected("unsafe_zip", f"invalid entry name {name[:100]!r}")
        key = _normalised(name)
        if key in seen:
            raise ApkRejected("unsafe_zip", f"duplicate entry {name[:100]!r}")
        seen.add(key)


def check_zip(path: Path, limits: ZipLimits) -> list[str]:
    """Structure first (see check_structure), then declared sizes (refuses a
    bomb without inflating it), then every entry inflated in chunks with a
    running count and its CRC checked. Returns the entry names."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ApkRejected("not_zip", str(exc)) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_entries:
            raise ApkRejected("zip_bomb", f"{len(infos)} entries")
        check_structure(path, infos)
        declared_total = 0
        for info in infos:
            declared_total += info.file_size
            ratio_exceeded = (info.file_size > limits.ratio_floor_bytes
                              and info.file_size > limits.max_ratio * max(info.compress_size, 1))
            if info.file_size > limits.max_entry_bytes or declared_total > limits.max_total_bytes or ratio_exceeded:
                raise ApkRejected("zip_bomb", info.filename[:200])
            if info.filename == "AndroidManifest.xml" and info.file_size > limits.max_manifest_bytes:
                raise ApkRejected("too_complex", f"AndroidManifest.xml inflates to {info.file_size} bytes")
        inflate_all(path, infos, limits)
        return [info.filename for info in infos]


LOCAL_HEADER = struct.Struct("<4s5H3I2H")


def inflate_all(path: Path, infos: list[zipfile.ZipInfo], limits: ZipLimits) -> None:
    """Inflates every entry straight from the file's bytes, checking that its
    local header agrees with the central directory, that it inflates to exactly
    its declared size and CRC, and that the running total stays under the
    limit. (The same checks zipfile makes on read, without its per-read cost.)"""
    data = memoryview(path.read_bytes())
    inflated_total = 0
    for info in infos:
        name = info.filename[:200]
        offset = info.header_offset
        if offset + LOCAL_HEADER.size > len(data):
            raise ApkRejected("not_zip", f"{name}: local header out of bounds")
        (magic, _, flags, method, _, _, _, _, _, name_length, extra_length) = LOCAL_HEADER.unpack_from(data, offset)
        if magic != b"PK\x03\x04" or bytes(data[offset + 30:offset + 30 + name_length]) != _raw_name(info):
            raise ApkRejected("not_zip", f"{name}: local header does not match the central directory")
        if flags & 0x1:
            raise ApkRejected("not_zip", f"{name}: encrypted entries are not allowed")
        start = offset + 30 + name_length + extra_length
        compressed = data[start:start + info.compress_size]
        if len(compressed) != info.compress_size:
            raise ApkRejected("not_zip", f"{name}: truncated")
        if info.compress_type == zipfile.ZIP_STORED:
            if info.compress_size != info.file_size:
                raise ApkRejected("not_zip", f"{name}: stored sizes disagree")
            crc = zlib.crc32(compressed)
            produced = info.file_size
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            crc, produced, pending = 0, 0, compressed
            try:
                while True:
                    # Never more than declared (+1 to notice a liar) nor past the total limit.
                    room = min(info.file_size - produced + 1, limits.max_total_bytes - inflated_total - produced + 1)
                    chunk = inflater.decompress(pending, max(1, min(room, 1 << 22)))
                    pending = inflater.unconsumed_tail
                    crc = zlib.crc32(chunk, crc)
                    produced += len(chunk)
                    if produced > info.file_size:
                        raise ApkRejected("zip_bomb", f"{name}: inflates past its declared size")
                    if inflated_total + produced > limits.max_total_bytes:
                        raise ApkRejected("zip_bomb", name)
                    if not chunk and not pending:
                        break
            except zlib.error as exc:
                raise ApkRejected("not_zip", f"{name}: {exc}") from None
            if not inflater.eof:
                raise ApkRejected("not_zip", f"{name}: deflate stream is truncated")
        else:
            raise ApkRejected("not_zip", f"{name}: compression method {info.compress_type} (Android reads only stored and deflate)")
        if produced != info.file_size or crc != info.CRC:
            raise ApkRejected("not_zip", f"{name}: size or CRC does not match")
        inflated_total += produced


def _resolve(apk, value: str | None) -> str | None:
    """Manifest values may be resource references (@7F030001): use the default
    configuration's string."""
    if not value or not value.startswith("@"):
        return value
    try:
        res_id = int(value[1:], 16)
        resolved = apk.get_android_resources().get_resolved_res_configs(res_id)
    except Exception:  # noqa: BLE001 - a broken resource table means "unresolvable", not a crash
        return None
    for config, text in resolved:
        if text is not None:
            return str(text)
    return None


HEX_NUMBER = re.compile(r"0[xX][0-9a-fA-F]{1,8}\Z")


def manifest_int(value: object, default: int | None) -> int | None:
    """A manifest integer attribute as the binary XML holds it: decimal ASCII
    digits, or 0x-prefixed hex (androguard's rendering of hex-typed values).
    Anything else (``1_000``, other scripts' digits, spaces) is not a number."""
    if value is None or value == "":
        return default
    text = str(value)
    if HEX_NUMBER.match(text):
        return int(text, 16)
    number = parse_whole(text, 0, 2**31 - 1)
    return default if number is None and default is not None else number


def _int_attr(value: object, default: int) -> int:
    number = manifest_int(value, default)
    return default if number is None else number


ANDROID_NS = "{http://schemas.android.com/apk/res/android}"


def _locale_of(config) -> str | None:
    """``pt-BR`` / ``pt`` for a resource configuration; None for the default one."""
    try:
        language, country = config.get_language(), config.get_country()
    except Exception:  # noqa: BLE001
        return None
    language = language.strip("\x00") if isinstance(language, str) else ""
    country = country.strip("\x00") if isinstance(country, str) else ""
    if not re.fullmatch(r"[a-z]{2,3}", language):
        return None
    return f"{language}-{country}" if re.fullmatch(r"[A-Z]{2}", country) else language


def _localized_labels(apk, label_attr: str | None) -> dict[str, str]:
    if not label_attr or not label_attr.startswith("@"):
        return {}
    try:
        resolved = apk.get_android_resources().get_resolved_res_configs(int(label_attr[1:], 16))
    except Exception:  # noqa: BLE001 - an unresolvable label has no translations
        return {}
    labels: dict[str, str] = {}
    for config, text in resolved:
        locale = _locale_of(config)
        if locale and text:
            labels.setdefault(locale, str(text)[:200])
    return dict(sorted(labels.items())[:200])


def _permission_list(manifest, tag: str) -> list[list]:
    """[[name, maxSdkVersion or None]] in manifest order, each name once (fdroidserver's usesPermission)."""
    found: dict[str, int | None] = {}
    for element in manifest.iter(tag):
        name = element.get(ANDROID_NS + "name")
        if isinstance(name, str) and name and name not in found:
            found[name[:255]] = manifest_int(element.get(ANDROID_NS + "maxSdkVersion"), None)
    return [[name, max_sdk] for name, max_sdk in found.items()][:1000]


def manifest_details(apk, manifest) -> dict:
    """What the store serves beyond the basic facts: read as aapt dump badging
    prints it (uses-permission with maxSdkVersion, uses-permission-sdk-23,
    uses-feature names) plus the label's translations."""
    features = sorted({name[:255] for element in manifest.iter("uses-feature")
                       if isinstance(name := element.get(ANDROID_NS + "name"), str) and name})[:1000]
    application = manifest.find("application")
    label_attr = application.get(ANDROID_NS + "label") if application is not None else None
    return {"uses_permission": _permission_list(manifest, "uses-permission"),
            "uses_permission_sdk23": _permission_list(manifest, "uses-permission-sdk-23"),
            "features": features, "labels": _localized_labels(apk, label_attr)}


def _best_icon(apk, names: list[str]) -> bytes | None:
    """The highest-density PNG of the launcher icon (adaptive-icon XML skipped)."""
    chosen = None
    try:
        chosen = apk.get_app_icon(max_dpi=65536)
    except Exception:  # noqa: BLE001
        chosen = None
    candidates = []
    if chosen and chosen.endswith(".png"):
        candidates.append(chosen)
    if chosen:
        stem = chosen.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        density_rank = ("xxxhdpi", "xxhdpi", "xhdpi", "hdpi", "mdpi", "ldpi")
        same_name = [n for n in names if n.startswith("res/") and n.endswith(f"/{stem}.png")]
        same_name.sort(key=lambda n: next((i for i, d in enumerate(density_rank) if f"-{d}" in n), 99))
        candidates += same_name
    for name in candidates:
        try:
            data = apk.get_file(name)
        except Exception:  # noqa: BLE001
            continue
        if data and data.startswith(b"\x89PNG\r\n\x1a\n"):
            return data
    return None


def warm_up() -> None:
    """Imports what inspecting needs, so a warm worker pays it once."""
    from loguru import logger

    logger.remove()  # androguard logs through loguru at DEBUG level: silence it
    import androguard.core.apk  # noqa: F401


def publish_problem(info: ApkInfo) -> ApkRejected | None:
    """The store's rules on top of the facts: what may be published at all."""
    if len(info.package) > PACKAGE_MAX or not PACKAGE_RE.match(info.package):
        return ApkRejected("bad_package", info.package[:100])
    if not 0 < info.version_code < 2**31:
        return ApkRejected("no_version_code", "versionCode missing, not a number or out of range")
    if info.signer_sha256 is None:
        return ApkRejected("unsigned")
    return None


def inspect_apk(path: Path, limits: ZipLimits = ZipLimits(), refuse_v1_only: bool = True) -> ApkInfo:
    names = check_zip(path, limits)
    if "AndroidManifest.xml" not in names:
        raise ApkRejected("bad_manifest", "no AndroidManifest.xml")
    warm_up()
    from androguard.core.apk import APK

    try:
        apk = APK(str(path))
    except (MemoryError, RecursionError):
        raise  # the memory limit or the nesting bound: the worker names them (too_big, too_complex)
    except Exception as exc:  # noqa: BLE001 - androguard raises many kinds on garbage
        raise ApkRejected("bad_manifest", type(exc).__name__) from None
    if not apk.is_valid_APK() or apk.get_android_manifest_xml() is None:
        raise ApkRejected("bad_manifest", "manifest cannot be parsed")
    package = (apk.get_package() or "")[:PACKAGE_MAX + 1]
    version_code = manifest_int(apk.get_androidversion_code(), None)
    if version_code is None:
        raise ApkRejected("no_version_code", "versionCode missing or not a number")
    min_sdk = _int_attr(apk.get_min_sdk_version(), 1)
    target_sdk = _int_attr(apk.get_target_sdk_version(), min_sdk)
    verified = verify_apk_signatures(path, names, min_sdk, target_sdk, refuse_v1_only)
    cert, schemes = verified.certificate, verified.schemes
    md5, sha256, size = hashes(path)
    abis = sorted({n.split("/")[1] for n in names if n.startswith("lib/") and n.count("/") >= 2 and n.split("/")[1] in KNOWN_ABIS})
    label = _resolve(apk, apk.get_app_name()) or package
    return ApkInfo(
        package=package,
        version_code=version_code,
        version_name=(_resolve(apk, apk.get_androidversion_name()) or "")[:100],
        label=label[:200],
        min_sdk=min_sdk,
        target_sdk=target_sdk,
        permissions=tuple(sorted(set(apk.get_permissions()))),
        abis=tuple(abis),
        signer_sha1=hashlib.sha1(cert).hexdigest() if cert else None,
        signer_sha256=hashlib.sha256(cert).hexdigest() if cert else None,
        signing_schemes=schemes,
        icon_png=_best_icon(apk, names),
        md5=md5,
        sha256=sha256,
        size=size,
        details=manifest_details(apk, apk.get_android_manifest_xml()),
    )
