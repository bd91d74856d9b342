"""What a store front shows: each store's listed apps as searchable rows.

``app_search`` holds one row per listed package of a store: the texts people
search (labels, listing names, package name; summaries, descriptions,
category) folded to lower case without accents, and the category the app is
filed under (its listing's, else its APK's). It is kept at index build for
exactly the packages that changed, so it always describes the current version.

Full-text matching is the database's own: SQLite's FTS5 (an external-content
table kept by triggers) or PostgreSQL's ``tsvector`` with a GIN index, ranked
by relevance (a name match above a description match), then by downloads.
Every word of the query must match, as a prefix ("calc" finds "Calculator").
Accents are folded on both sides, so "cafe" finds "Café" and "café" "Cafe"."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence

import sqlalchemy as sa

from apkdepot.catalog import app_listing
from apkdepot.catalog.models import APK_COLUMNS, ApkVersion
from apkdepot.db.schema import apks, app_search, index_entries

MAX_QUERY_WORDS = 8
MAX_WORD_CHARS = 40
_WORD_RE = re.compile(r"[^\W_]+")  # letters and digits: both databases split words there



def pg_document_sql(prefix: str = "") -> str:
    """The weighted document PostgreSQL searches; the GIN index is on this very expression."""
    return (f"(setweight(to_tsvector('simple', {prefix}name), 'A') || "
            f"setweight(to_tsvector('simple', {prefix}body), 'B'))")


def fold(text: str) -> str:
    """Lower case without accents: what is stored and what is asked are compared in this form."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words_of(text: str) -> list[str]:
    return _WORD_RE.findall(fold(text))


def query_words(text: str) -> list[str]:
    """The words of a search box, folded; at most MAX_QUERY_WORDS, each cut to MAX_WORD_CHARS.
    Only word characters survive, so nothing typed can be query syntax."""
    return [w[:MAX_WORD_CHARS] for w in words_of(text)][:MAX_QUERY_WORDS]


def fts5_query(words: Sequence[str]) -> str:
    """Every word as a quoted prefix: ``"calc"* "pro"*``."""
    return " ".join(f'"{w}"*' for w in words)


def tsquery(words: Sequence[str]) -> str:
    """Every word as a prefix: ``calc:* & pro:*`` (words hold only word characters)."""
    return " & ".join(f"'{w}':*" for w in words)


@dataclass(frozen=True)
class Document:
    name: str
    body: str
    category: str | None
    sort_name: str  # the name shown in the default language, folded: the "by name" order


def document_of(app: ApkVersion, listing: app_listing.Listing | None) -> Document:
    """The searchable texts of a listed app: names in every language above everything else."""
    listing = listing or app_listing.Listing()
    labels = [app.label, *(app.details.get("labels") or {}).values()]
    names = [*labels, *(t.name for t in listing.texts.values()), app.package]
    category = listing.category or app.category
    body = [*(t.summary for t in listing.texts.values()),
            *(app_listing.plain_text(t.description) for t in listing.texts.values()),
            app.description or "", category or ""]
    # Stored as bare words, so both databases split them alike ("org.example.app" is three words,
    # not one host name to PostgreSQL).
    unique = lambda texts: " ".join(dict.fromkeys(" ".join(words_of(t)) for t in texts if t))  # noqa: E731
    shown_name = listing.text(app_listing.DEFAULT_LOCALE, "name") or app.label
    return Document(name=unique(names), body=unique(body), category=category, sort_name=fold(shown_name)[:255])


def refresh(conn: sa.Connection, store_id: int, packages: Iterable[str]) -> None:
    """Make the rows of these packages describe the store's current entries (called at index build)."""
    names = sorted(set(packages))
    for start in range(0, len(names), 500):
        chunk = names[start:start + 500]
        listed = {r.package: ApkVersion.from_row(r) for r in conn.execute(
            sa.select(*APK_COLUMNS).select_from(index_entries.join(apks, apks.c.id == index_entries.c.apk_id))
            .where(index_entries.c.store_id == store_id, index_entries.c.package.in_(chunk),
                   index_entries.c.to_version.is_(None)))}
        listings = app_listing.served(conn, store_id, chunk)
        # Delete then insert, so the FTS triggers see plain row events.
        conn.execute(app_search.delete().where(app_search.c.store_id == store_id, app_search.c.package.in_(chunk)))
        rows = []
        for package, app in listed.items():
            doc = document_of(app, listings.get(package))
            rows.append({"store_id": store_id, "package": package, "name": doc.name, "body": doc.body,
                         "category": doc.category, "sort_name": doc.sort_name})
        if rows:
            conn.execute(app_search.insert(), rows)


def rebuild(conn: sa.Connection, store_id: int | None = None) -> None:
    """Every listed package of one store (or of every store) again."""
    query = sa.select(index_entries.c.store_id, index_entries.c.package).where(index_entries.c.to_version.is_(None))
    if store_id is not None:
        query = query.where(index_entries.c.store_id == store_id)
    by_store: dict[int, list[str]] = {}
    for sid, package in conn.execute(query):
        by_store.setdefault(sid, []).append(package)
    stale = sa.select(app_search.c.store_id).distinct()
    if store_id is not None:
        stale = stale.where(app_search.c.store_id == store_id)
    for sid in conn.execute(stale).scalars().all():
        by_store.setdefault(sid, [])
    for sid, packages in by_store.items():
        conn.execute(app_search.delete().where(app_search.c.store_id == sid))
        refresh(conn, sid, packages)


SORTS = {
    "name": (app_search.c.sort_name, app_search.c.package),
    "downloads": (apks.c.downloads.desc(), app_search.c.package),
    "latest": (apks.c.added_at.desc(), app_search.c.package),
}


@dataclass(frozen=True)
class Found:
    apps: list[ApkVersion]
    total: int


def _listed_rows(store_ids: Sequence[int], category: str | None):
    joined = (app_search
              .join(index_entries, sa.and_(index_entries.c.store_id == app_search.c.store_id,
                                           index_entries.c.package == app_search.c.package,
                                           index_entries.c.to_version.is_(None)))
              .join(apks, apks.c.id == index_entries.c.apk_id))
    where = [app_search.c.store_id.in_(list(store_ids))]
    if category is not None:
        where.append(app_search.c.category == category)
    return joined, where


def browse(conn: sa.Connection, store_ids: Sequence[int], *, category: str | None = None, sort: str = "name",
           limit: int, offset: int) -> Found:
    """A page of listed apps, optionally of one category, in a SORTS order."""
    joined, where = _listed_rows(store_ids, category)
    total = conn.execute(sa.select(sa.func.count()).select_from(app_search).where(*where)).scalar_one()
    rows = conn.execute(sa.select(*APK_COLUMNS).select_from(joined).where(*where)
                        .order_by(*SORTS.get(sort, SORTS["name"]), app_search.c.store_id)
                        .limit(limit).offset(offset)).all()
    return Found([ApkVersion.from_row(r) for r in rows], total)


def search(conn: sa.Connection, store_ids: Sequence[int], text: str, *, category: str | None = None,
           limit: int, offset: int) -> Found:
    """A page of the listed apps matching every word of ``text``, best first (then most downloaded)."""
    words = query_words(text)
    if not words or not store_ids:
        return Found([], 0)
    joined, where = _listed_rows(store_ids, category)
    if conn.dialect.name == "postgresql":
        document = sa.literal_column(pg_document_sql("app_search."))
        query = sa.func.to_tsquery("simple", tsquery(words))
        where.append(document.op("@@")(query))
        rank = sa.func.ts_rank(document, query).desc()
    else:
        fts = sa.table("app_search_fts", sa.column("rowid"))
        joined = joined.join(fts, fts.c.rowid == app_search.c.id)
        where.append(sa.text("app_search_fts MATCH :match").bindparams(match=fts5_query(words)))
        # bm25: smaller is better; a word in the name weighs ten times one in the body.
        rank = sa.text("bm25(app_search_fts, 10.0, 1.0)")
    total = conn.execute(sa.select(sa.func.count()).select_from(joined).where(*where)).scalar_one()
    rows = conn.execute(sa.select(*APK_COLUMNS).select_from(joined).where(*where)
                        .order_by(rank, apks.c.downloads.desc(), app_search.c.package, app_search.c.store_id)
                        .limit(limit).offset(offset)).all()
    return Found([ApkVersion.from_row(r) for r in rows], total)


def categories(conn: sa.Connection, store_id: int) -> list[tuple[str, int]]:
    """(category, number of listed apps) of a store, by name."""
    rows = conn.execute(sa.select(app_search.c.category, sa.func.count()).where(
        app_search.c.store_id == store_id, app_search.c.category.is_not(None))
        .group_by(app_search.c.category).order_by(app_search.c.category)).all()
    return [(c, n) for c, n in rows if c]
