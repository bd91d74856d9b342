"""APK signature verification in-process, without a JVM: the JAR scheme (v1)
and APK Signature Schemes v2, v3 and v3.1, as Android's package installer
applies them.

Which schemes must verify (Android's rules, as apksigner applies them):

* v3/v3.1 and v2, whenever their blocks are present;
* v1 when no v2+ block is present, and also when the APK installs on devices
  older than Android 7.0 (minSdkVersion < 24), which know only v1;
* a v1 signature whose .SF promises v2+ signatures (``X-Android-APK-Signed``)
  that are missing was stripped down: refused;
* v1 alone is refused for targetSdkVersion >= 30 (Android 11 will not install
  it) and, by default (``APKDEPOT_REFUSE_V1_ONLY``), for minSdkVersion >= 24.

Every scheme present must name the same signing certificate (rotation
lineages are not accepted). Anything not understood is a refusal, never a pass.

Formats: https://source.android.com/docs/security/features/apksigning/v2 and /v3;
the JAR format is the JDK's "Signed JAR File" specification."""

from __future__ import annotations

import hashlib
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import cms
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa

from apkdepot.apk.info import ApkRejected

V2_BLOCK_ID = 0x7109871A
V3_BLOCK_ID = 0xF05368C0
V31_BLOCK_ID = 0x1B93AD61
SIGNING_BLOCK_MAGIC = b"APK Sig Block 42"
CHUNK_SIZE = 1024 * 1024
FIRST_SDK_WITH_V2 = 24  # Android 7.0
# Android 11 refuses to install an APK targeting SDK 30 or later without v2+.
TARGET_SDK_REQUIRING_V2 = 30

# Signature algorithm id -> (content digest, signature kind, hash). Verity
# (0x04xx) variants are not accepted: apksigner only adds them on request, and
# always next to a plain one.
_ALGORITHMS = {
    0x0101: ("sha256", "rsa-pss", hashes.SHA256()),
    0x0102: ("sha512", "rsa-pss", hashes.SHA512()),
    0x0103: ("sha256", "rsa-pkcs1", hashes.SHA256()),
    0x0104: ("sha512", "rsa-pkcs1", hashes.SHA512()),
    0x0201: ("sha256", "ecdsa", hashes.SHA256()),
    0x0202: ("sha512", "ecdsa", hashes.SHA512()),
    0x0301: ("sha256", "dsa", hashes.SHA256()),
}
# Android's preference when a signer offers several: the strongest digest first.
_PREFERENCE = (0x0102, 0x0104, 0x0202, 0x0101, 0x0103, 0x0201, 0x0301)


def _bad(detail: str) -> ApkRejected:
    return ApkRejected("bad_signature", detail)


@dataclass(frozen=True)
class Verified:
    certificate: bytes | None  # DER of the one signing certificate; None: unsigned
    schemes: tuple[str, ...]


# --- ZIP sections -------------------------------------------------------------

@dataclass(frozen=True)
class ZipSections:
    cd_offset: int
    cd_size: int
    eocd_offset: int
    eocd: bytes


def zip_sections(data: bytes) -> ZipSections:
    """Where the central directory and the end record are (no ZIP64, no comment games)."""
    search_from = max(0, len(data) - 22 - 0xFFFF)
    eocd_offset = data.rfind(b"PK\x05\x06", search_from)
    while eocd_offset >= 0:
        comment_length = struct.unpack_from("<H", data, eocd_offset + 20)[0] if eocd_offset + 22 <= len(data) else -1
        if eocd_offset + 22 + comment_length == len(data):
            break
        eocd_offset = data.rfind(b"PK\x05\x06", search_from, eocd_offset)
    if eocd_offset < 0:
        raise _bad("no ZIP end of central directory")
    cd_size, cd_offset = struct.unpack_from("<II", data, eocd_offset + 12)
    if cd_offset == 0xFFFFFFFF or cd_size == 0xFFFFFFFF or cd_offset + cd_size != eocd_offset:
        raise _bad("unsupported ZIP layout (ZIP64 or gaps around the central directory)")
    return ZipSections(cd_offset, cd_size, eocd_offset, data[eocd_offset:])


def signing_block(data: bytes, sections: ZipSections) -> tuple[int, dict[int, bytes]] | None:
    """(offset of the APK Signing Block, {id: value}), or None when there is none."""
    end = sections.cd_offset
    if end < 32 or data[end - 16:end] != SIGNING_BLOCK_MAGIC:
        return None
    size_in_footer = struct.unpack_from("<Q", data, end - 24)[0]
    start = end - size_in_footer - 8
    if size_in_footer < 24 or start < 0 or struct.unpack_from("<Q", data, start)[0] != size_in_footer:
        raise _bad("damaged APK Signing Block")
    pairs: dict[int, bytes] = {}
    position, limit = start + 8, end - 24
    while position < limit:
        if position + 12 > limit:
            raise _bad("damaged APK Signing Block entry")
        length = struct.unpack_from("<Q", data, position)[0]
        if length < 4 or position + 8 + length > limit:
            raise _bad("damaged APK Signing Block entry")
        block_id = struct.unpack_from("<I", data, position + 8)[0]
        if block_id in pairs:
            raise _bad(f"duplicate APK Signing Block entry {block_id:#x}")
        pairs[block_id] = data[position + 12:position + 8 + length]
        position += 8 + length
    return start, pairs


# --- v2 / v3 ------------------------------------------------------------------

class _Reader:
    """Length-prefixed (uint32 little-endian) fields of the v2/v3 blocks."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def remaining(self) -> int:
        return len(self.data) - self.position

    def uint32(self) -> int:
        if self.remaining() < 4:
            raise _bad("truncated signature block")
        value = struct.unpack_from("<I", self.data, self.position)[0]
        self.position += 4
        return value

    def prefixed(self) -> bytes:
        length = self.uint32()
        if length > self.remaining():
            raise _bad("truncated signature block")
        value = self.data[self.position:self.position + length]
        self.position += length
        return value

    def sequence(self) -> list[bytes]:
        inner = _Reader(self.prefixed())
        items = []
        while inner.remaining():
            items.append(inner.prefixed())
        return items


def _public_key(der: bytes):
    try:
        return serialization.load_der_public_key(der)
    except (ValueError, TypeError):
        raise _bad("unreadable public key") from None


def verify_raw_signature(key, kind: str, digest: hashes.HashAlgorithm, signature: bytes, message: bytes) -> bool:
    try:
        if kind == "rsa-pss" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PSS(padding.MGF1(digest), digest.digest_size), digest)
        elif kind == "rsa-pkcs1" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), digest)
        elif kind == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(digest))
        elif kind == "dsa" and isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, message, digest)
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def _chunked_digest(data: bytes, sections: ZipSections, block_start: int, name: str) -> bytes:
    """Android's chunked content digest over the entries, the central directory
    and the end record (whose central-directory offset reads as the block's start)."""
    eocd = bytearray(sections.eocd)
    struct.pack_into("<I", eocd, 16, block_start)
    parts = (memoryview(data)[:block_start], memoryview(data)[sections.cd_offset:sections.eocd_offset], memoryview(eocd))
    chunk_digests = []
    for part in parts:
        for offset in range(0, len(part), CHUNK_SIZE):
            chunk = part[offset:offset + CHUNK_SIZE]
            h = hashlib.new(name)
            h.update(b"\xa5" + struct.pack("<I", len(chunk)))
            h.update(chunk)
            chunk_digests.append(h.digest())
    top = hashlib.new(name)
    top.update(b"\x5a" + struct.pack("<I", len(chunk_digests)))
    for d in chunk_digests:
        top.update(d)
    return top.digest()


def _verify_v2_family(block: bytes, v3: bool, data: bytes, sections: ZipSections, block_start: int,
                      digest_cache: dict[str, bytes]) -> list[bytes]:
    """Verifies every signer of a v2 or v3(.1) block; returns their certificates (DER)."""
    signers = _Reader(block).sequence()
    if not signers:
        raise _bad("signature block without signers")
    certificates = []
    for signer_bytes in signers:
        signer = _Reader(signer_bytes)
        signed_data = signer.prefixed()
        if v3:
            signer.uint32(), signer.uint32()  # min/max SDK of this signer (checked against signed data below)
        signatures = [(_Reader(s).uint32(), s) for s in signer.sequence()]
        public_key_der = signer.prefixed()
        key = _public_key(public_key_der)
        offered = {}
        for algorithm, raw in signatures:
            reader = _Reader(raw)
            reader.uint32()
            offered[algorithm] = reader.prefixed()
        chosen = next((a for a in _PREFERENCE if a in offered), None)
        if chosen is None:
            raise _bad("no supported signature algorithm")
        digest_name, kind, hash_algorithm = _ALGORITHMS[chosen]
        if not verify_raw_signature(key, kind, hash_algorithm, offered[chosen], signed_data):
            raise _bad("signature over signed data does not verify")
        content = _Reader(signed_data)
        digests = {}
        for item in content.sequence():
            reader = _Reader(item)
            algorithm = reader.uint32()
            digests[algorithm] = reader.prefixed()
        if sorted(digests) != sorted(offered):
            raise _bad("signature and digest algorithm lists differ")
        certs = content.sequence()
        if not certs:
            raise _bad("signer without certificate")
        from cryptography import x509

        try:
            leaf = x509.load_der_x509_certificate(certs[0])
        except ValueError:
            raise _bad("unreadable certificate") from None
        leaf_key = leaf.public_key().public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)
        if leaf_key != key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
            raise _bad("certificate does not match the signing key")
        if digest_name not in digest_cache:
            digest_cache[digest_name] = _chunked_digest(data, sections, block_start, digest_name)
        if digests[chosen] != digest_cache[digest_name]:
            raise _bad("APK contents do not match the signed digest")
        certificates.append(certs[0])
    return certificates


# --- v1 (JAR) -----------------------------------------------------------------

_DIGEST_ATTRIBUTES = {"SHA-512-Digest": "sha512", "SHA-384-Digest": "sha384", "SHA-256-Digest": "sha256",
                      "SHA1-Digest": "sha1", "SHA-Digest": "sha1"}
_SIGNATURE_BLOCK_SUFFIXES = (".RSA", ".DSA", ".EC")


def _manifest_sections(raw: bytes) -> list[tuple[dict[str, str], bytes]]:
    """JAR manifest sections: (attributes, the section's exact bytes incl. its blank line)."""
    sections = []
    position = 0
    text = raw.replace(b"\r\n", b"\n") if b"\r\n" not in raw else None
    if text is not None and text != raw:
        raise _bad("manifest line endings are mixed")
    newline = b"\r\n" if b"\r\n" in raw else b"\n"
    while position < len(raw):
        end = raw.find(newline + newline, position)
        stop = len(raw) if end < 0 else end + 2 * len(newline)
        chunk = raw[position:stop]
        attributes: dict[str, str] = {}
        last_key = None
        for line in chunk.split(newline):
            if not line:
                continue
            decoded = line.decode("utf-8", errors="strict")
            if decoded.startswith(" ") and last_key is not None:
                attributes[last_key] += decoded[1:]
                continue
            key, sep, value = decoded.partition(": ")
            if not sep:
                raise _bad("malformed manifest line")
            attributes[key] = value
            last_key = key
        sections.append((attributes, chunk))
        position = stop
    return sections


def _check_digests(attributes: dict[str, str], suffix: str, content: bytes, what: str) -> bool:
    """True when the section names at least one known digest and all known ones match."""
    import base64

    seen = False
    for attribute, value in attributes.items():
        if not attribute.endswith(suffix):
            continue
        name = _DIGEST_ATTRIBUTES.get(attribute[: len(attribute) - len(suffix)] + "-Digest")
        if name is None:
            continue
        seen = True
        try:
            expected = base64.b64decode(value, validate=True)
        except ValueError:
            raise _bad(f"unreadable digest for {what}") from None
        if hashlib.new(name, content).digest() != expected:
            return False
    return seen


def _verify_pkcs7(block: bytes, signed_file: bytes) -> bytes:
    """The certificate (DER) of a .RSA/.DSA/.EC block whose signature covers ``signed_file``."""
    from cryptography import x509

    try:
        content = cms.ContentInfo.load(block)
        signed = content["content"]
        signer_infos = signed["signer_infos"]
        certificates = [c.chosen for c in signed["certificates"]] if signed["certificates"] else []
    except (ValueError, TypeError, KeyError):
        raise _bad("unreadable JAR signature block") from None
    if len(signer_infos) != 1:
        raise _bad("a JAR signature block must have exactly one signer")
    info = signer_infos[0]
    sid = info["sid"].chosen
    certificate = None
    for candidate in certificates:
        if (isinstance(sid, cms.IssuerAndSerialNumber) and candidate.issuer == sid["issuer"]
                and candidate.serial_number == sid["serial_number"].native):
            certificate = candidate
    if certificate is None:
        raise _bad("JAR signature names no certificate it carries")
    der = certificate.dump()
    key = x509.load_der_x509_certificate(der).public_key()
    digest_name = info["digest_algorithm"]["algorithm"].native
    hash_algorithm = {"sha1": hashes.SHA1(), "sha256": hashes.SHA256(), "sha384": hashes.SHA384(),
                      "sha512": hashes.SHA512()}.get(digest_name)
    if hash_algorithm is None:
        raise _bad(f"unsupported JAR digest {digest_name}")
    message = signed_file
    if info["signed_attrs"]:
        attributes = {a["type"].native: a["values"][0].native for a in info["signed_attrs"]}
        if attributes.get("message_digest") != hashlib.new(digest_name, signed_file).digest():
            raise _bad("JAR signature's message digest does not match its .SF file")
        # The signature covers the attributes re-encoded as a SET OF.
        message = info["signed_attrs"].untag().dump(force=True)
    signature_algorithm = info["signature_algorithm"].signature_algo
    kind = {"rsassa_pkcs1v15": "rsa-pkcs1", "ecdsa": "ecdsa", "dsa": "dsa", "rsassa_pss": "rsa-pss"}.get(signature_algorithm)
    if kind is None or not verify_raw_signature(key, kind, hash_algorithm, info["signature"].native, message):
        raise _bad("JAR signature does not verify")
    return der


def verify_v1(archive: zipfile.ZipFile, names: list[str]) -> tuple[bytes, set[int]]:
    """(the v1 signer's certificate, the v2+ scheme ids its .SF promises)."""
    if "META-INF/MANIFEST.MF" not in names:
        raise _bad("missing META-INF/MANIFEST.MF")
    signature_files = [n for n in names if n.startswith("META-INF/") and n.count("/") == 1 and n.upper().endswith(".SF")]
    if len(signature_files) != 1:
        raise _bad("a v1-signed APK must have exactly one .SF file")
    sf_name = signature_files[0]
    stem = sf_name[:-3]
    blocks = [stem + suffix for suffix in _SIGNATURE_BLOCK_SUFFIXES if stem + suffix in names]
    if len(blocks) != 1:
        raise _bad("a .SF file needs exactly one signature block")
    manifest_raw = archive.read("META-INF/MANIFEST.MF")
    sf_raw = archive.read(sf_name)
    certificate = _verify_pkcs7(archive.read(blocks[0]), sf_raw)

    sf_sections = _manifest_sections(sf_raw)
    manifest_sections = _manifest_sections(manifest_raw)
    if not sf_sections or not manifest_sections:
        raise _bad("empty JAR manifest or signature file")
    sf_main = sf_sections[0][0]
    promised = set()
    for item in sf_main.get("X-Android-APK-Signed", "").split(","):
        item = item.strip()
        if item.isascii() and item.isdigit():
            promised.add(int(item))
    whole_ok = _check_digests(sf_main, "-Digest-Manifest", manifest_raw, "MANIFEST.MF")
    by_name = {}
    for attributes, raw in manifest_sections[1:]:
        name = attributes.get("Name")
        if name is None:
            raise _bad("manifest section without a Name")
        if name in by_name:
            raise _bad(f"manifest names {name[:100]} twice")
        by_name[name] = (attributes, raw)
    if not whole_ok:
        # Without a matching whole-manifest digest, each section must match its own.
        sf_by_name = {a.get("Name"): a for a, _ in sf_sections[1:]}
        for name, (_, raw) in by_name.items():
            sf_attributes = sf_by_name.get(name)
            if sf_attributes is None or not _check_digests(sf_attributes, "-Digest", raw, name):
                raise _bad(f"signature file does not cover {name[:100]}")
    present = set(names)
    for name in names:
        if name.startswith("META-INF/") or name.endswith("/"):
            continue  # Android verifies neither (its JAR rules, not the JDK's)
        entry = by_name.get(name)
        if entry is None:
            raise _bad(f"{name[:100]} is not covered by the v1 signature")
        if not _check_digests(entry[0], "-Digest", archive.read(name), name):
            raise _bad(f"{name[:100]} does not match its v1 digest")
    for name in by_name:
        if name not in present:
            raise _bad(f"the v1 manifest names {name[:100]}, which the APK lacks")
    return certificate, promised


# --- the whole policy -----------------------------------------------------------

def verify_apk_signatures(path: Path, names: list[str], min_sdk: int, target_sdk: int,
                          refuse_v1_only: bool = True) -> Verified:
    data = path.read_bytes()
    sections = zip_sections(data)
    found = signing_block(data, sections)
    block_start, pairs = found if found is not None else (sections.cd_offset, {})
    schemes: list[str] = []
    certificates: list[bytes] = []
    digest_cache: dict[str, bytes] = {}
    for block_id, scheme, v3 in ((V31_BLOCK_ID, "v3.1", True), (V3_BLOCK_ID, "v3", True), (V2_BLOCK_ID, "v2", False)):
        if block_id in pairs:
            signers = _verify_v2_family(pairs[block_id], v3, data, sections, block_start, digest_cache)
            if len(set(signers)) != 1:
                raise _bad(f"{scheme} has several signers")
            schemes.append(scheme)
            certificates.append(signers[0])
    has_v2_plus = bool(schemes)
    has_v1_files = any(n.startswith("META-INF/") and n.count("/") == 1 and n.upper().endswith(".SF") for n in names)
    if has_v1_files and (not has_v2_plus or min_sdk < FIRST_SDK_WITH_V2):
        with zipfile.ZipFile(path) as archive:
            certificate, promised = verify_v1(archive, names)
        if promised & {2, 3} and not has_v2_plus:
            raise _bad("the v1 signature promises v2/v3 signatures that were stripped")
        schemes.append("v1")
        certificates.append(certificate)
    elif has_v1_files:
        schemes.append("v1")  # present; Android 7.0+ devices ignore it when v2+ verifies
    if not certificates:
        return Verified(None, ())
    if min_sdk < FIRST_SDK_WITH_V2 and "v1" not in schemes:
        raise _bad("no v1 signature, which devices below Android 7.0 (minSdkVersion < 24) need")
    if not has_v2_plus and target_sdk >= TARGET_SDK_REQUIRING_V2:
        raise _bad("targetSdkVersion 30 or later needs APK Signature Scheme v2 or later")
    if not has_v2_plus and refuse_v1_only and min_sdk >= FIRST_SDK_WITH_V2:
        raise ApkRejected("v1_only", "signed with the v1 scheme only")
    if len(set(certificates)) != 1:
        raise _bad("signing schemes disagree on the certificate")
    return Verified(certificates[0], tuple(sorted(schemes)))
