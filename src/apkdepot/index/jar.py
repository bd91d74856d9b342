"""Signed JARs (JAR v1 signature scheme), as F-Droid clients verify them:
META-INF/MANIFEST.MF, META-INF/<ALIAS>.SF and META-INF/<ALIAS>.RSA (a PKCS#7
signature over the .SF file with the certificate inside).

The output is a pure function of its inputs: fixed ZIP timestamps and a PKCS#7
signature without signed attributes (so no signing time), over an RSA PKCS#1
v1.5 signature, which is deterministic. Every server process therefore writes
the same bytes for the same index version."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7

ALIAS = "APKDEPOT"
FIXED_TIME = (2020, 1, 1, 0, 0, 0)
CREATED_BY = "ApkDepot"


def _digest(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def manifest_section(name: str, data: bytes) -> bytes:
    return f"Name: {name}\r\nSHA-256-Digest: {_digest(data)}\r\n\r\n".encode()


def signed_jar(files: dict[str, bytes], key: rsa.RSAPrivateKey, cert: x509.Certificate) -> bytes:
    for name in files:
        if len(f"Name: {name}".encode()) > 70 or name.startswith("META-INF/"):
            raise ValueError(f"unsupported JAR entry name {name!r}")
    main = f"Manifest-Version: 1.0\r\nCreated-By: {CREATED_BY}\r\n\r\n".encode()
    sections = {name: manifest_section(name, data) for name, data in sorted(files.items())}
    manifest = main + b"".join(sections.values())
    signature_file = (
        f"Signature-Version: 1.0\r\nSHA-256-Digest-Manifest: {_digest(manifest)}\r\n"
        f"Created-By: {CREATED_BY}\r\n\r\n"
    ).encode() + b"".join(
        f"Name: {name}\r\nSHA-256-Digest: {_digest(section)}\r\n\r\n".encode() for name, section in sections.items()
    )
    block = (pkcs7.PKCS7SignatureBuilder().set_data(signature_file)
             .add_signer(cert, key, hashes.SHA256())
             .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature,
                                                pkcs7.PKCS7Options.NoAttributes]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as jar:
        entries = [("META-INF/MANIFEST.MF", manifest), (f"META-INF/{ALIAS}.SF", signature_file),
                   (f"META-INF/{ALIAS}.RSA", block)] + sorted(files.items())
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0  # no POSIX attributes: the signature would not cover them
            jar.writestr(info, data)
    return buffer.getvalue()
