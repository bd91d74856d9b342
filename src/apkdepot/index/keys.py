"""Each store's signing key and self-signed certificate for its F-Droid repo."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

KEY_BITS = 3072
VALIDITY_DAYS = 365 * 30


def new_key_and_cert(store_name: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    # A common name holds at most 64 characters; store names up to 50.
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, store_name[:64]),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "ApkDepot store"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ApkDepot")])
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(secrets.randbits(63) + 1).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=VALIDITY_DAYS))
            .sign(key, hashes.SHA256()))
    return key, cert


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the DER certificate, as F-Droid clients pin it."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def encrypt_key(key: rsa.RSAPrivateKey, secret: bytes) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(secret)).decode()


def decrypt_key(pem: str, secret: bytes) -> rsa.RSAPrivateKey:
    return serialization.load_pem_private_key(pem.encode(), password=secret)
