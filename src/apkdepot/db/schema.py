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
    # The accounts clock's value at this developer's last change to what their
    # dev token resolves to: server processes forget only the changed ones' tokens.
    sa.Column("accounts_seq", sa.BigInteger, nullable=False, server_default="0", index=True),
    # An operator of this installation (accounts/admin.py): sees and moderates everyone's data.
    sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
    # Set by an operator: every credential of the account stops working at once.
    sa.Column("disabled_at", UtcDateTime),
    sa.Column("disabled_reason", sa.String(500)),
    # The TOTP second factor (accounts/second_factor.py): the secret encrypted with
    # the server secret; enabled once a code from it was entered; the last time
    # step used, so a code works once.
    sa.Column("totp_secret", sa.String(200)),
    sa.Column("totp_enabled_at", UtcDateTime),
    sa.Column("totp_last_step", sa.BigInteger),
)

# One-time recovery codes of the second factor: only their SHA-256 is kept.
recovery_codes = sa.Table(
    "recovery_codes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("developer_id", sa.ForeignKey("developers.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("used_at", UtcDateTime),
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

# OAuth 2 tokens of the Aptoide apps' log-in (web service oauth2Authentication):
# only digests are stored. An access token names the refresh token it came from.
oauth_tokens = sa.Table(
    "oauth_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("developer_id", sa.ForeignKey("developers.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("kind", sa.String(8), nullable=False),  # "access" or "refresh"
    sa.Column("expires_at", UtcDateTime, nullable=False),
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

stores = sa.Table(
    "stores",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("owner_id", sa.ForeignKey("developers.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("name", sa.String(50), nullable=False, unique=True),  # lower-case letters, digits, dashes
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("theme", sa.String(32), nullable=False, server_default="default"),
    sa.Column("avatar_key", sa.String(120)),
    sa.Column("private", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("basic_user", sa.String(100)),
    sa.Column("basic_pass_hash", sa.String(200)),  # argon2id over the SHA-1 hex, as for developers
    sa.Column("current_version", sa.Integer, nullable=False, server_default="0"),
    # Set while packages wait in index_pending; the builder coalesces from here.
    sa.Column("dirty_since", UtcDateTime, index=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    # Set by an operator: the store leaves every protocol's answers; its owner sees the reason.
    sa.Column("suspended_at", UtcDateTime),
    sa.Column("suspension_reason", sa.String(500)),
    # Set by an operator (moderation.py): new apps, and updates that add
    # permissions or change the name or icon, wait for an operator's approval.
    sa.Column("moderated", sa.Boolean, nullable=False, server_default=sa.false()),
)

# Names a store had before a rename (store_id set: they lead to it, and its old
# hashes keep answering under them), and names of deleted stores (store_id
# NULL). Neither can be taken by another store: devices that knew the name
# must never be served someone else's apps under it.
store_aliases = sa.Table(
    "store_aliases",
    metadata,
    sa.Column("name", sa.String(50), primary_key=True),
    sa.Column("store_id", sa.ForeignKey("stores.id", ondelete="SET NULL"), index=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

apks = sa.Table(
    "apks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("store_id", sa.ForeignKey("stores.id", ondelete="CASCADE"), nullable=False),
    sa.Column("package", sa.String(255), nullable=False),
    sa.Column("version_code", sa.BigInteger, nullable=False),
    sa.Column("version_name", sa.String(100), nullable=False),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("min_sdk", sa.Integer, nullable=False),
    sa.Column("target_sdk", sa.Integer, nullable=False),
    sa.Column("permissions", sa.Text, nullable=False),  # JSON list
    sa.Column("abis", sa.String(200), nullable=False),  # comma-separated
    sa.Column("signer_sha1", sa.String(40), nullable=False),
    sa.Column("signer_sha256", sa.String(64), nullable=False),
    sa.Column("md5", sa.String(32), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("file_name", sa.String(300), nullable=False),
    sa.Column("icon_name", sa.String(300)),
    sa.Column("icon_sha256", sa.String(64)),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("category", sa.String(100)),
    sa.Column("website", sa.String(500)),
    sa.Column("email", sa.String(254)),
    sa.Column("downloads", sa.BigInteger, nullable=False, server_default="0"),
    # JSON: what the manifest says beyond the columns above (apk/info.py ManifestDetails):
    # permissions with their maxSdkVersion, uses-permission-sdk-23, uses-feature, localized labels.
    sa.Column("manifest_details", sa.Text, nullable=False, server_default="{}"),
    # The package's info.xml entry, rendered once at publish time, split where <dwn> goes.
    sa.Column("xml_head", sa.Text, nullable=False),
    sa.Column("xml_tail", sa.Text, nullable=False),
    sa.Column("added_at", UtcDateTime, nullable=False),
    sa.Column("removed_at", UtcDateTime),
    # Moderation (moderation.py): NULL when the version may be listed; "pending"
    # while it waits for an operator, "rejected" after a refusal. Why it waits
    # (JSON list), and the operator's note on a refusal.
    sa.Column("review_state", sa.String(10)),
    sa.Column("review_reasons", sa.Text),
    sa.Column("review_note", sa.String(500)),
    sa.Column("reviewed_at", UtcDateTime),
    sa.UniqueConstraint("store_id", "package", "version_code"),
    sa.UniqueConstraint("store_id", "file_name"),
    sa.Index("ix_apks_store_id_md5", "store_id", "md5"),
    sa.Index("ix_apks_md5", "md5"),
    sa.Index("ix_apks_sha256", "sha256"),
    sa.Index("ix_apks_review_state_id", "review_state", "id"),
)

# Membership of the store index as intervals: the APK is listed in every index
# version v with from_version <= v < to_version (to_version NULL: still listed).
index_entries = sa.Table(
    "index_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("store_id", sa.ForeignKey("stores.id", ondelete="CASCADE"), nullable=False),
    sa.Column("apk_id", sa.ForeignKey("apks.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("package", sa.String(255), nullable=False),
    sa.Column("from_version", sa.Integer, nullable=False),
    sa.Column("to_version", sa.Integer),
    sa.Index("ix_index_entries_store_id_to_version_from_version", "store_id", "to_version", "from_version"),
    sa.Index("ix_index_entries_open_package", "store_id", "package", unique=True,
             sqlite_where=sa.text("to_version IS NULL"), postgresql_where=sa.text("to_version IS NULL")),
)

index_versions = sa.Table(
    "index_versions",
    metadata,
    sa.Column("store_id", sa.ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("md5", sa.String(32), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("appscount", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index("ix_index_versions_store_id_md5", "store_id", "md5"),
)

# Packages whose index entry may have changed since the current version.
index_pending = sa.Table(
    "index_pending",
    metadata,
    sa.Column("store_id", sa.ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("package", sa.String(255), primary_key=True),
)

# One row: bumped whenever any store's index or card changes, so every server
# process notices with one cheap read.
catalog_clock = sa.Table(
    "catalog_clock",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
)

# The app owner's view of their apps (the app list API). ``position`` numbers
# a developer's apps 0, 1, 2… in creation order with no gaps (records are
# never deleted), so a page at any offset is an index seek and the total is
# the highest position plus one.
owner_apps = sa.Table(
    "owner_apps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("developer_id", sa.ForeignKey("developers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("app_id", sa.String(255), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False, server_default="USD"),
    sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("enable_retargetting", sa.Boolean),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("developer_id", "position"),
    sa.UniqueConstraint("developer_id", "platform", "app_id"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("developer_id", sa.ForeignKey("developers.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),  # shown in listings, to tell tokens apart
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_used_at", UtcDateTime),
    sa.Column("revoked_at", UtcDateTime),
    # What the token may do (accounts/api_tokens.SCOPES, space-separated); when it
    # stops working (NULL: never); the address it was last used from.
    sa.Column("scopes", sa.String(200), nullable=False, server_default="apps:read"),
    sa.Column("expires_at", UtcDateTime),
    sa.Column("last_used_ip", sa.String(64)),
)

# Each store's F-Droid signing key (PEM, encrypted with the server secret) and
# its self-signed certificate. Never served; the fingerprint is public.
store_keys = sa.Table(
    "store_keys",
    metadata,
    sa.Column("store_id", sa.ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key_pem", sa.Text, nullable=False),
    sa.Column("cert_der", sa.LargeBinary, nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# F-Droid lists every published version (info.xml only the newest): the same
# interval scheme as index_entries, over the same index versions.
fdroid_entries = sa.Table(
    "fdroid_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("store_id", sa.ForeignKey("stores.id", ondelete="CASCADE"), nullable=False),
    sa.Column("apk_id", sa.ForeignKey("apks.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("package", sa.String(255), nullable=False),
    sa.Column("from_version", sa.Integer, nullable=False),
    sa.Column("to_version", sa.Integer),
    sa.Index("ix_fdroid_entries_store_id_to_version_from_version", "store_id", "to_version", "from_version"),
    sa.Index("ix_fdroid_entries_store_id_package", "store_id", "package"),
)

# Store listings (catalog/app_listing.py): revisions of what a developer says about
# an app, with the same membership intervals over index versions as the
# F-Droid entries. from_version NULL: saved, waiting for the next index version.
app_listings = sa.Table(
    "app_listings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("store_id", sa.ForeignKey("stores.id", ondelete="CASCADE"), nullable=False),
    sa.Column("package", sa.String(255), nullable=False),
    sa.Column("document", sa.Text, nullable=False),  # JSON: Listing.public()
    sa.Column("from_version", sa.Integer),
    sa.Column("to_version", sa.Integer),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index("ix_app_listings_store_id_package", "store_id", "package"),
    sa.Index("ix_app_listings_store_id_to_version_from_version", "store_id", "to_version", "from_version"),
    sa.Index("ix_app_listings_pending_package", "store_id", "package", unique=True,
             sqlite_where=sa.text("from_version IS NULL"), postgresql_where=sa.text("from_version IS NULL")),
)

# The store front (catalog/store_front.py): one row per listed package of a
# store, with its searchable texts folded to lower case without accents.
# The full-text structures over it are the database's own and live outside
# this metadata (DATABASE_SIDE_OBJECTS): SQLite's FTS5 table app_search_fts
# with its triggers, PostgreSQL's GIN index ix_app_search_document.
app_search = sa.Table(
    "app_search",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("store_id", sa.ForeignKey("stores.id", ondelete="CASCADE"), nullable=False),
    sa.Column("package", sa.String(255), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("category", sa.String(100)),
    sa.Column("sort_name", sa.String(255), nullable=False),
    sa.Index("ix_app_search_store_id_package", "store_id", "package", unique=True),
    sa.Index("ix_app_search_store_id_category", "store_id", "category"),
    sa.Index("ix_app_search_store_id_sort_name", "store_id", "sort_name"),
)

# Images a listing can show (catalog/listing_images.py): uploaded once per app,
# decoded in the inspection worker, stored by content (blob key
# listing-images/<sha256>.<ext>, ``name`` is its last part).
listing_images = sa.Table(
    "listing_images",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("store_id", sa.ForeignKey("stores.id", ondelete="CASCADE"), nullable=False),
    sa.Column("package", sa.String(255), nullable=False),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("media_type", sa.String(20), nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index("ix_listing_images_store_id_package_name", "store_id", "package", "name", unique=True),
)

# A store's own categories (catalog/store_categories.py): revisions of the whole
# list, with intervals over index versions like the listings. from_version NULL:
# saved, waiting for the next index version.
store_categories = sa.Table(
    "store_categories",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("store_id", sa.ForeignKey("stores.id", ondelete="CASCADE"), nullable=False),
    sa.Column("document", sa.Text, nullable=False),  # JSON: [Category.public()]
    sa.Column("from_version", sa.Integer),
    sa.Column("to_version", sa.Integer),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index("ix_store_categories_store_id_to_version", "store_id", "to_version"),
    sa.Index("ix_store_categories_pending", "store_id", unique=True,
             sqlite_where=sa.text("from_version IS NULL"), postgresql_where=sa.text("from_version IS NULL")),
)

# info.xml entries re-rendered in place (index/versions.py): a listed APK whose
# listing moved it to another category gets a new <catg2> at ``version``, with
# no change of membership; a delta from before that version sends the entry again.
index_refiles = sa.Table(
    "index_refiles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("store_id", sa.ForeignKey("stores.id", ondelete="CASCADE"), nullable=False),
    sa.Column("apk_id", sa.ForeignKey("apks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_index_refiles_store_id_version", "store_id", "version"),
)

# Who changed what (audit.py): one row per change to accounts, tokens, stores,
# apps, listings and moderation, written in the change's own transaction.
# Append-only: the database refuses UPDATE and DELETE (triggers of the
# migration). Ids are plain numbers, not foreign keys, so the record outlives
# what it names.
audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("actor_id", sa.Integer),  # the developer who acted; NULL: the command line or the server itself
    sa.Column("actor", sa.String(254), nullable=False),  # their address then, or "cli" / "system"
    sa.Column("ip", sa.String(64)),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("subject_kind", sa.String(32), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("owner_id", sa.Integer),  # whose data it is: the owner sees their own events
    sa.Column("before", sa.Text),  # JSON
    sa.Column("after", sa.Text),  # JSON
    sa.Index("ix_audit_events_owner_id_id", "owner_id", "id"),
    sa.Index("ix_audit_events_actor_id_id", "actor_id", "id"),
)

# A store's webhooks (webhooks.py): where its events are posted. The secret that
# signs them is sealed with the server secret (it must be read to sign).
webhooks = sa.Table(
    "webhooks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("store_id", sa.ForeignKey("stores.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("url", sa.String(500), nullable=False),
    sa.Column("events", sa.String(300), nullable=False),  # space-separated
    sa.Column("secret_sealed", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# The durable queue and log of webhook deliveries: one row per event and hook,
# queued in the transaction of the change; a sender claims a due one with a
# lease (locked_until) and records the answer.
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("webhook_id", sa.ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("delivery_id", sa.String(36), nullable=False, unique=True),  # X-ApkDepot-Delivery, the same on retries
    sa.Column("event", sa.String(40), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # pending, delivered, failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("locked_until", UtcDateTime),
    sa.Column("last_attempt_at", UtcDateTime),
    sa.Column("response_status", sa.Integer),
    sa.Column("last_error", sa.String(500)),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("delivered_at", UtcDateTime),
    sa.Index("ix_webhook_deliveries_webhook_id_id", "webhook_id", "id"),
    sa.Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
)

# Tables and indexes the migrations make with the database's own SQL, which a
# comparison of this metadata with a database leaves alone.
DATABASE_SIDE_OBJECTS = frozenset({
    "app_search_fts", "app_search_fts_data", "app_search_fts_idx", "app_search_fts_content",
    "app_search_fts_docsize", "app_search_fts_config", "ix_app_search_document",
    "audit_events_no_update", "audit_events_no_delete", "audit_events_append_only",
})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter: everything but DATABASE_SIDE_OBJECTS."""
    return name not in DATABASE_SIDE_OBJECTS
