"""A store's own categories: the names its owner files apps under, each with
what it is called in other languages.

Kept as revisions over the store's index versions, like the app listings: a
saved list waits as the pending revision (from_version NULL) and the next
index version carries it (``promote_pending``). So every F-Droid index ever
served can be rebuilt with the category names it had, and a diff can say
exactly which translations went away.

When a store defines categories, an app's listing must use one of them; a
store that defines none takes any category name (as uploads always do: the
Aptoide Uploader sends its own standard list's ids)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

import sqlalchemy as sa

from apkdepot import errors
from apkdepot.catalog import app_listing
from apkdepot.db.schema import store_categories
from apkdepot.db.time import utcnow
from apkdepot.errors import Problem, problem

MAX_CATEGORIES = 100
NAME_MAX = app_listing.CATEGORY_MAX


@dataclass(frozen=True)
class Category:
    name: str  # what listings and indexes use; shown as is in en-US unless a label says otherwise
    labels: Mapping[str, str] = field(default_factory=dict)  # locale -> name in that language

    def localized(self) -> dict[str, str]:
        """locale -> name, the default locale always present (as F-Droid's repo.categories wants it)."""
        return {app_listing.DEFAULT_LOCALE: self.name, **dict(sorted(self.labels.items()))}

    def label(self, locale: str) -> str:
        return app_listing.pick_localized(self.localized(), locale) or self.name

    def public(self) -> dict[str, Any]:
        return {"name": self.name, "labels": dict(sorted(self.labels.items()))}


def to_document(categories: list[Category]) -> str:
    return json.dumps([c.public() for c in categories], sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def from_document(text: str) -> list[Category]:
    return [Category(item["name"], dict(item.get("labels") or {})) for item in json.loads(text)]


def parse(body: Mapping[str, Any]) -> tuple[list[Category], list[Problem]]:
    """``{"categories": [{"name": "Tools", "labels": {"pt-BR": "Ferramentas"}}, ...]}``, in the order shown.
    Names that differ only in case are one category: the first spelling stays,
    and the labels of the others join it (the first label given for a language wins)."""
    found: list[Problem] = []
    for name in sorted(set(body) - {"categories"}):
        found.append(problem(errors.LISTING_FIELD_UNKNOWN, name, name=name))
    raw = body.get("categories")
    if not isinstance(raw, list):
        found.append(problem(errors.LISTING_FIELD_INVALID, "categories", name="categories"))
        return [], found
    if len(raw) > MAX_CATEGORIES:
        found.append(problem(errors.LISTING_TOO_MANY, "categories", name="categories", max=MAX_CATEGORIES))
        return [], found
    categories: list[Category] = []
    by_key: dict[str, Category] = {}
    for index, item in enumerate(raw):
        where = f"categories.{index}"
        if not isinstance(item, dict) or set(item) - {"name", "labels"}:
            found.append(problem(errors.LISTING_FIELD_INVALID, where, name=where))
            continue
        name = app_listing.text_value(item.get("name"), NAME_MAX, f"{where}.name", found)
        if not name:
            if not any(p.field == f"{where}.name" for p in found):
                found.append(problem(errors.LISTING_FIELD_INVALID, f"{where}.name", name=f"{where}.name"))
            continue
        labels: dict[str, str] = {}
        raw_labels = item.get("labels", {})
        if not isinstance(raw_labels, dict) or len(raw_labels) > app_listing.MAX_LOCALES:
            found.append(problem(errors.LISTING_FIELD_INVALID, f"{where}.labels", name=f"{where}.labels"))
            raw_labels = {}
        for raw_tag, value in raw_labels.items():
            tag = app_listing.normalize_locale(raw_tag)
            if tag is None:
                found.append(problem(errors.LISTING_LOCALE_INVALID, f"{where}.labels.{raw_tag}",
                                     locale=str(raw_tag)[:40]))
                continue
            if tag in labels:
                found.append(problem(errors.LISTING_LOCALE_TWICE, f"{where}.labels.{raw_tag}", locale=tag))
                continue
            text = app_listing.text_value(value, NAME_MAX, f"{where}.labels.{raw_tag}", found)
            if text:
                labels[tag] = text
        earlier = by_key.get(name.casefold())
        if earlier is not None:
            earlier.labels.update({tag: text for tag, text in labels.items() if tag not in earlier.labels})
            continue
        by_key[name.casefold()] = Category(name, labels)
        categories.append(by_key[name.casefold()])
    return categories, found


# --- storage --------------------------------------------------------------------------

def _rows(conn: sa.Connection, store_id: int):
    return conn.execute(sa.select(store_categories.c.id, store_categories.c.from_version,
                                  store_categories.c.document).where(
        store_categories.c.store_id == store_id, store_categories.c.to_version.is_(None))).all()


def latest(conn: sa.Connection, store_id: int) -> list[Category]:
    """The newest saved list (pending, else served); [] when the store never defined any."""
    rows = _rows(conn, store_id)
    pending = next((r for r in rows if r.from_version is None), None)
    current = next((r for r in rows if r.from_version is not None), None)
    chosen = pending or current
    return from_document(chosen.document) if chosen else []


def at_version(conn: sa.Connection, store_id: int, version: int) -> list[Category]:
    """The list index version ``version`` carries."""
    document = conn.execute(sa.select(store_categories.c.document).where(
        store_categories.c.store_id == store_id, store_categories.c.from_version <= version,
        sa.or_(store_categories.c.to_version.is_(None), store_categories.c.to_version > version))).scalar()
    return from_document(document) if document else []


def served(conn: sa.Connection, store_id: int) -> list[Category]:
    document = conn.execute(sa.select(store_categories.c.document).where(
        store_categories.c.store_id == store_id, store_categories.c.from_version.is_not(None),
        store_categories.c.to_version.is_(None))).scalar()
    return from_document(document) if document else []


def save(conn: sa.Connection, store_id: int, categories: list[Category]) -> bool:
    """Keeps the list as the pending revision; False when nothing would change."""
    document = to_document(categories)
    rows = _rows(conn, store_id)
    pending = next((r for r in rows if r.from_version is None), None)
    current = next((r for r in rows if r.from_version is not None), None)
    current_document = current.document if current else to_document([])
    if pending is not None:
        if pending.document == document:
            return False
        if current_document == document:
            conn.execute(store_categories.delete().where(store_categories.c.id == pending.id))
        else:
            conn.execute(store_categories.update().where(store_categories.c.id == pending.id)
                         .values(document=document))
        return True
    if current_document == document:
        return False
    conn.execute(store_categories.insert().values(store_id=store_id, document=document, created_at=utcnow()))
    return True


def promote_pending(conn: sa.Connection, store_id: int, new_version: int) -> bool:
    """In the index builder: the pending list is served from ``new_version`` on."""
    pending = conn.execute(sa.select(store_categories.c.id).where(
        store_categories.c.store_id == store_id, store_categories.c.from_version.is_(None))).scalar()
    if pending is None:
        return False
    conn.execute(store_categories.update().where(
        store_categories.c.store_id == store_id, store_categories.c.from_version.is_not(None),
        store_categories.c.to_version.is_(None)).values(to_version=new_version))
    conn.execute(store_categories.update().where(store_categories.c.id == pending).values(from_version=new_version))
    return True


def labels_by_name(categories: list[Category]) -> dict[str, dict[str, str]]:
    """name -> {locale: name}, for F-Droid's repo.categories."""
    return {c.name: c.localized() for c in categories}


def check_listing_category(categories: list[Category], category: str | None) -> list[Problem]:
    """A listing's category must be one the store defines, when it defines any."""
    if not category or not categories or any(c.name == category for c in categories):
        return []
    return [problem(errors.LISTING_CATEGORY_UNKNOWN, "category", category=category[:100],
                    names=", ".join(c.name for c in categories)[:500])]
