"""Table definitions (SQLAlchemy Core). Migrations in ``migrations/`` create
exactly these; a test compares the two so they cannot drift."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

UtcDateTime = sa.DateTime(timezone=True)

developers = sa.Table(
    "developers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("account_type", sa.String(16), nullable=False),
    sa.Column("business_name", sa.String(39)),
    sa.Column("company_name", sa.String(200)),
    sa.Column("address", sa.String(500)),
    sa.Column("city", sa.String(200)),
    sa.Column("zip_code", sa.String(32)),
    sa.Column("country", sa.String(2)),
    sa.Column("phone", sa.String(32)),
    sa.Column("tax_id", sa.String(64)),
    sa.Column("website", sa.String(500)),
    # argon2id over the SHA-1 hex of the password (see accounts.passwords).
    sa.Column("password_hash", sa.String(200), nullable=False),
    # The dev token is HMAC(server secret, id + nonce) (see accounts.tokens): only
    # its SHA-256 and the nonce are kept; a new nonce is a regenerated token.
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("token_nonce", sa.String(32), nullable=False),
    sa.Column("token_created_at", UtcDateTime, nullable=False),
    sa.Column("email_confirmed_at", UtcDateTime),
    sa.Column("lang", sa.String(8), nullable=False, server_default="en"),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# Single-use links mailed to a developer: e-mail confirmation and password reset.
account_links = sa.Table(
    "account_links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("developer_id", sa.ForeignKey("developers.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("purpose", sa.String(16), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    # The address a confirmation link confirms (it may differ after "wrong email").
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("used_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

portal_sessions = sa.Table(
    "portal_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("developer_id", sa.ForeignKey("developers.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# Fixed-window counters for the SQL rate-limit storage.
rate_limit_counters = sa.Table(
    "rate_limit_counters",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("window_start", sa.BigInteger, primary_key=True),
    sa.Column("hits", sa.Integer, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False, index=True),
)
