"""Secrets handed to clients: dev tokens, one-time link tokens, session ids.

Only SHA-256 digests of them are stored, and look-ups go by digest. The dev
token is derived, not random: HMAC-SHA256(server secret, "<developer id>:<nonce>")
cut to 40 hex characters. The server can therefore give an authenticated owner
their token again (``checkUserCredentials`` must), while the database alone
holds nothing that yields it; regenerating draws a new nonce."""

from __future__ import annotations

import hashlib
import hmac
import secrets

DEV_TOKEN_LENGTH = 40


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_nonce() -> str:
    return secrets.token_hex(16)


def derive_dev_token(server_secret: bytes, developer_id: int, nonce: str) -> str:
    mac = hmac.new(server_secret, f"{developer_id}:{nonce}".encode(), hashlib.sha256)
    return mac.hexdigest()[:DEV_TOKEN_LENGTH]


def looks_like_dev_token(candidate: str) -> bool:
    return len(candidate) == DEV_TOKEN_LENGTH and all(c in "0123456789abcdef" for c in candidate)


def new_opaque_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def same_digest(stored: str, presented_secret: str) -> bool:
    return hmac.compare_digest(stored, digest(presented_secret))
