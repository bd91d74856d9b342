"""An app's store listing: what its developer says about it, per language.

A listing belongs to a package in a store: per locale a name, a short summary
and a description (a safe Markdown subset), per app a category, links, an
e-mail address and a license, and per version release notes ("what's new")
per locale. The APK's own facts (label, icon, permissions) stay on the APK;
where a listing says nothing, the newest APK's upload fields (uploadAppToRepo's
description, category, apk_website, apk_email) stand in.

Listings are revisions with membership intervals over the store's index
versions, like the F-Droid entries: a saved listing waits as the package's
pending revision (from_version NULL) and the index builder makes it part of
the next version (``promote_pending``). So any index version ever served can
be rebuilt with the listings it had, and a listing change is an index version
like any other."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

import sqlalchemy as sa
from markdown_it import MarkdownIt

from apkdepot import errors
from apkdepot.accounts.validation import valid_email, valid_url
from apkdepot.db.schema import app_listings
from apkdepot.db.time import utcnow
from apkdepot.errors import Problem, problem

# The locale a listing falls back to, and the one upload fields are written in.
DEFAULT_LOCALE = "en-US"

NAME_MAX = 50  # F-Droid's and Google Play's limits are 50 and 30
SUMMARY_MAX = 80  # as Google Play's short description and F-Droid's summary
DESCRIPTION_MAX = 4000  # as uploadAppToRepo's description and Google Play's full description
RELEASE_NOTES_MAX = 500  # as Google Play's "what's new"
LICENSE_MAX = 100
CATEGORY_MAX = 100
MAX_LOCALES = 80
MAX_RELEASE_NOTES_VERSIONS = 200
MAX_SCREENSHOTS = 8  # per locale, as Google Play
VERSION_CODE_MAX = 2**31 - 1

LOCALE_TEXT_FIELDS = ("name", "summary", "description")
APP_FIELDS = ("category", "website", "email", "privacy_url", "source_url", "license")

# language[-Script][-REGION] (BCP 47, the parts stores use); "_" is read as "-".
_LOCALE_RE = re.compile(r"^([A-Za-z]{2,3})(?:-([A-Za-z]{4}))?(?:-([A-Za-z]{2}|[0-9]{3}))?$")
_LICENSE_RE = re.compile(r"^[A-Za-z0-9.+\-() ]+$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
IMAGE_NAME_RE = re.compile(r"^[0-9a-f]{64}\.(?:png|jpg|webp)$")  # <sha256>.<extension>


def normalize_locale(tag: Any) -> str | None:
    """``pt_br`` → ``pt-BR``, ``zh-hant-tw`` → ``zh-Hant-TW``; None when not a locale tag."""
    if not isinstance(tag, str):
        return None
    match = _LOCALE_RE.match(tag.strip().replace("_", "-"))
    if match is None:
        return None
    language, script, region = match.groups()
    parts = [language.lower()]
    if script:
        parts.append(script.title())
    if region:
        parts.append(region.upper())
    return "-".join(parts)


@dataclass(frozen=True)
class LocaleText:
    name: str = ""
    summary: str = ""
    description: str = ""  # Markdown source

    def public(self) -> dict[str, str]:
        return {k: v for k, v in (("name", self.name), ("summary", self.summary),
                                  ("description", self.description)) if v}


@dataclass(frozen=True)
class ListingImage:
    """An uploaded image a listing shows; ``name`` is ``<sha256>.<extension>``."""
    name: str
    media_type: str = ""
    width: int = 0
    height: int = 0
    size: int = 0

    @property
    def sha256(self) -> str:
        return self.name.partition(".")[0]

    def public(self) -> dict[str, Any]:
        return {"name": self.name, "media_type": self.media_type, "width": self.width, "height": self.height,
                "size": self.size}

    @classmethod
    def from_public(cls, data: Mapping[str, Any]) -> "ListingImage":
        return cls(data["name"], data.get("media_type", ""), data.get("width", 0), data.get("height", 0),
                   data.get("size", 0))


@dataclass(frozen=True)
class Listing:
    texts: Mapping[str, LocaleText] = field(default_factory=dict)
    category: str | None = None
    website: str | None = None
    email: str | None = None
    privacy_url: str | None = None
    source_url: str | None = None
    license: str | None = None
    # version code -> locale -> release notes (Markdown source)
    release_notes: Mapping[int, Mapping[str, str]] = field(default_factory=dict)
    # locale -> phone screenshots in their order; locale -> feature graphic
    screenshots: Mapping[str, tuple[ListingImage, ...]] = field(default_factory=dict)
    feature_graphic: Mapping[str, ListingImage] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        """The listing as the JSON API shows and takes it."""
        return {
            "locales": {tag: text.public() for tag, text in sorted(self.texts.items())},
            **{name: getattr(self, name) for name in APP_FIELDS},
            "release_notes": {str(code): dict(sorted(notes.items()))
                              for code, notes in sorted(self.release_notes.items())},
            "screenshots": {tag: [image.public() for image in images]
                            for tag, images in sorted(self.screenshots.items()) if images},
            "feature_graphic": {tag: image.public() for tag, image in sorted(self.feature_graphic.items())},
        }

    def images(self) -> list[ListingImage]:
        """Every image the listing shows, each once."""
        every = [*(i for images in self.screenshots.values() for i in images), *self.feature_graphic.values()]
        return list({image.name: image for image in every}.values())

    def screenshots_in(self, locale: str) -> tuple[ListingImage, ...]:
        """The screenshots for a locale, falling back as the texts do."""
        tag = pick_locale(list(self.screenshots), locale)
        return tuple(self.screenshots[tag]) if tag else ()

    def to_document(self) -> str:
        """The stored form: the public form, keys sorted (the same listing, the same text)."""
        return json.dumps(self.public(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_document(cls, text: str) -> "Listing":
        data = json.loads(text)
        return cls(texts={tag: LocaleText(**value) for tag, value in data.get("locales", {}).items()},
                   **{name: data.get(name) for name in APP_FIELDS},
                   release_notes={int(code): dict(notes) for code, notes in data.get("release_notes", {}).items()},
                   screenshots={tag: tuple(ListingImage.from_public(i) for i in images)
                                for tag, images in data.get("screenshots", {}).items()},
                   feature_graphic={tag: ListingImage.from_public(i)
                                    for tag, i in data.get("feature_graphic", {}).items()})

    def text(self, locale: str, name: str) -> str:
        """A text field in the locale asked for, else its language, else the default locale, else any."""
        return pick_localized({tag: getattr(text, name) for tag, text in self.texts.items()}, locale)

    def localized(self, name: str) -> dict[str, str]:
        """locale -> value of one text field, only where set."""
        return {tag: getattr(text, name) for tag, text in sorted(self.texts.items()) if getattr(text, name)}

    def notes_for(self, version_code: int) -> dict[str, str]:
        return dict(self.release_notes.get(version_code, {}))


def pick_locale(tags: Iterable[str], locale: str) -> str | None:
    """Of the tags present, the one for ``locale`` (any form: pt_BR, pt-BR, pt),
    falling back to its language, then the default locale, then English of any
    region, then any."""
    present = sorted(set(tags))
    if not present:
        return None
    wanted = normalize_locale(locale) or DEFAULT_LOCALE
    if wanted in present:
        return wanted
    language = wanted.split("-")[0]
    for candidates in ([t for t in present if t == language], [t for t in present if t.split("-")[0] == language],
                       [DEFAULT_LOCALE] if DEFAULT_LOCALE in present else [],
                       [t for t in present if t.split("-")[0] == "en"], present):
        if candidates:
            return sorted(candidates)[0]
    return None


def pick_localized(values: Mapping[str, str], locale: str) -> str:
    """The value for ``locale``, falling back as ``pick_locale`` does; "" when none is set."""
    tag = pick_locale([t for t, value in values.items() if value], locale)
    return values[tag] if tag else ""


# --- Markdown ---------------------------------------------------------------------

def _markdown() -> MarkdownIt:
    # CommonMark without raw HTML and without images (a description is text:
    # no tracking pixels, no layout); links only to the web and to mail.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["image", "html_block", "html_inline"])
    md.validateLink = lambda url: url.strip().lower().startswith(("https://", "http://", "mailto:"))
    return md


_MD = _markdown()


def description_html(markdown: str) -> str:
    """The description as HTML, every piece of text escaped (what F-Droid clients
    and the store's pages show)."""
    return _MD.render(markdown).strip() if markdown else ""


def plain_text(markdown: str) -> str:
    """The description as plain text, for clients that show text only (the
    Aptoide protocols): the words and the line breaks between blocks, no markup."""
    if not markdown:
        return ""
    blocks: list[str] = []
    line: list[str] = []
    for token in _MD.parse(markdown):
        if token.type == "inline":
            for child in token.children or ():
                if child.type in ("text", "code_inline"):
                    line.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    line.append("\n")
        elif token.type in ("fence", "code_block"):
            line.append(token.content.rstrip("\n"))
        elif token.type == "list_item_open":
            line.append("• ")
        if token.type in ("paragraph_close", "heading_close", "fence", "code_block") and line:
            blocks.append("".join(line).strip())
            line = []
    if line:
        blocks.append("".join(line).strip())
    return "\n\n".join(b for b in blocks if b) if blocks else markdown.strip()


# --- reading what a client sends ----------------------------------------------------

def _text(value: Any, limit: int, field_name: str, found: list[Problem], multiline: bool = False) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        found.append(problem(errors.LISTING_FIELD_INVALID, field_name, name=field_name))
        return ""
    text = value.replace("\r\n", "\n").strip()
    if len(text) > limit:
        found.append(problem(errors.LISTING_FIELD_TOO_LONG, field_name, name=field_name, max=limit))
        return ""
    if _CONTROL_RE.search(text) or (not multiline and "\n" in text):
        found.append(problem(errors.LISTING_FIELD_INVALID, field_name, name=field_name))
        return ""
    return text


# One-line and multi-line text as every listing-like document reads it (store categories too).
text_value = _text


def _app_field(name: str, value: Any, found: list[Problem]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        found.append(problem(errors.LISTING_FIELD_INVALID, name, name=name))
        return None
    text = value.strip()
    if not text:
        return None
    ok = {
        "category": lambda v: 0 < len(v) <= CATEGORY_MAX and not _CONTROL_RE.search(v) and "\n" not in v,
        "website": valid_url, "privacy_url": valid_url, "source_url": valid_url,
        "email": valid_email,
        "license": lambda v: len(v) <= LICENSE_MAX and bool(_LICENSE_RE.match(v)),
    }[name](text)
    if not ok:
        found.append(problem(errors.LISTING_FIELD_INVALID, name, name=name))
        return None
    return text


def parse_listing(body: Mapping[str, Any]) -> tuple[Listing, list[Problem]]:
    """A whole listing from the JSON API's form (Listing.public): every problem
    found, each naming its field (``locales.pt-BR.summary``, ``release_notes.12.en-US``)."""
    found: list[Problem] = []
    unknown = sorted(set(body) - {"locales", "release_notes", "screenshots", "feature_graphic", *APP_FIELDS})
    for name in unknown:
        found.append(problem(errors.LISTING_FIELD_UNKNOWN, name, name=name))
    texts: dict[str, LocaleText] = {}
    locales = body.get("locales") or {}
    if not isinstance(locales, dict):
        found.append(problem(errors.LISTING_FIELD_INVALID, "locales", name="locales"))
        locales = {}
    if len(locales) > MAX_LOCALES:
        found.append(problem(errors.LISTING_TOO_MANY, "locales", name="locales", max=MAX_LOCALES))
        locales = {}
    for raw_tag, value in locales.items():
        tag = normalize_locale(raw_tag)
        where = f"locales.{raw_tag}"
        if tag is None:
            found.append(problem(errors.LISTING_LOCALE_INVALID, where, locale=str(raw_tag)[:40]))
            continue
        if tag in texts:
            found.append(problem(errors.LISTING_LOCALE_TWICE, where, locale=tag))
            continue
        if not isinstance(value, dict) or set(value) - set(LOCALE_TEXT_FIELDS):
            found.append(problem(errors.LISTING_FIELD_INVALID, where, name=where))
            continue
        text = LocaleText(name=_text(value.get("name"), NAME_MAX, f"{where}.name", found),
                          summary=_text(value.get("summary"), SUMMARY_MAX, f"{where}.summary", found),
                          description=_text(value.get("description"), DESCRIPTION_MAX, f"{where}.description",
                                            found, multiline=True))
        if text.public():
            texts[tag] = text
    notes: dict[int, dict[str, str]] = {}
    raw_notes = body.get("release_notes") or {}
    if not isinstance(raw_notes, dict):
        found.append(problem(errors.LISTING_FIELD_INVALID, "release_notes", name="release_notes"))
        raw_notes = {}
    if len(raw_notes) > MAX_RELEASE_NOTES_VERSIONS:
        found.append(problem(errors.LISTING_TOO_MANY, "release_notes", name="release_notes",
                             max=MAX_RELEASE_NOTES_VERSIONS))
        raw_notes = {}
    for raw_code, per_locale in raw_notes.items():
        where = f"release_notes.{raw_code}"
        code = int(raw_code) if isinstance(raw_code, str) and raw_code.isascii() and raw_code.isdigit() else None
        if code is None or not 1 <= code <= VERSION_CODE_MAX or str(code) != raw_code:
            found.append(problem(errors.LISTING_VERSION_INVALID, where, version_code=str(raw_code)[:20]))
            continue
        if not isinstance(per_locale, dict) or len(per_locale) > MAX_LOCALES:
            found.append(problem(errors.LISTING_FIELD_INVALID, where, name=where))
            continue
        version_notes: dict[str, str] = {}
        for raw_tag, text in per_locale.items():
            tag = normalize_locale(raw_tag)
            if tag is None:
                found.append(problem(errors.LISTING_LOCALE_INVALID, f"{where}.{raw_tag}", locale=str(raw_tag)[:40]))
                continue
            value = _text(text, RELEASE_NOTES_MAX, f"{where}.{raw_tag}", found, multiline=True)
            if value:
                version_notes[tag] = value
        if version_notes:
            notes[code] = version_notes
    values = {name: _app_field(name, body.get(name), found) for name in APP_FIELDS}
    screenshots, feature_graphic = _parse_images(body, found)
    return Listing(texts=texts, release_notes=notes, screenshots=screenshots, feature_graphic=feature_graphic,
                   **values), found


def _image_name(value: Any, where: str, found: list[Problem]) -> ListingImage | None:
    """An image named by its name, or by the object GET gave (only its name is read)."""
    name = value.get("name") if isinstance(value, dict) else value
    if not isinstance(name, str) or not IMAGE_NAME_RE.match(name):
        found.append(problem(errors.LISTING_FIELD_INVALID, where, name=where))
        return None
    return ListingImage(name)


def _parse_images(body: Mapping[str, Any], found: list[Problem]
                  ) -> tuple[dict[str, tuple[ListingImage, ...]], dict[str, ListingImage]]:
    """``screenshots`` {locale: [image, ...]} and ``feature_graphic`` {locale: image}, by name only:
    whether each was uploaded for the app is checked where the store is known."""
    screenshots: dict[str, tuple[ListingImage, ...]] = {}
    feature: dict[str, ListingImage] = {}
    for field_name in ("screenshots", "feature_graphic"):
        raw = body.get(field_name) or {}
        if not isinstance(raw, dict) or len(raw) > MAX_LOCALES:
            found.append(problem(errors.LISTING_FIELD_INVALID, field_name, name=field_name))
            continue
        for raw_tag, value in raw.items():
            where = f"{field_name}.{raw_tag}"
            tag = normalize_locale(raw_tag)
            if tag is None:
                found.append(problem(errors.LISTING_LOCALE_INVALID, where, locale=str(raw_tag)[:40]))
                continue
            if tag in (screenshots if field_name == "screenshots" else feature):
                found.append(problem(errors.LISTING_LOCALE_TWICE, where, locale=tag))
                continue
            if field_name == "feature_graphic":
                image = _image_name(value, where, found)
                if image is not None:
                    feature[tag] = image
                continue
            if not isinstance(value, list):
                found.append(problem(errors.LISTING_FIELD_INVALID, where, name=where))
                continue
            if len(value) > MAX_SCREENSHOTS:
                found.append(problem(errors.LISTING_TOO_MANY, where, name=where, max=MAX_SCREENSHOTS))
                continue
            images = [_image_name(item, f"{where}.{i}", found) for i, item in enumerate(value)]
            names = [i.name for i in images if i is not None]
            if len(set(names)) != len(names):
                found.append(problem(errors.LISTING_FIELD_INVALID, where, name=where))
                continue
            if names:
                screenshots[tag] = tuple(i for i in images if i is not None)
    return screenshots, feature


def with_upload_fields(listing: Listing | None, meta: Mapping[str, str]) -> Listing | None:
    """The listing after an upload that named uploadAppToRepo's fields (already
    checked): description in the default locale, category, website, e-mail.
    None when the upload named none of them and there is no listing."""
    if not any(meta.get(k) for k in ("description", "category", "apk_website", "apk_email")):
        return listing
    listing = listing or Listing()
    changes: dict[str, Any] = {}
    if meta.get("description"):
        texts = dict(listing.texts)
        texts[DEFAULT_LOCALE] = replace(texts.get(DEFAULT_LOCALE, LocaleText()),
                                        description=meta["description"][:DESCRIPTION_MAX])
        changes["texts"] = texts
    for upload_name, name in (("category", "category"), ("apk_website", "website"), ("apk_email", "email")):
        if meta.get(upload_name):
            changes[name] = meta[upload_name]
    return replace(listing, **changes)


# --- storage ------------------------------------------------------------------------

def _served_now():
    return sa.and_(app_listings.c.from_version.is_not(None), app_listings.c.to_version.is_(None))


def latest(conn: sa.Connection, store_id: int, package: str) -> Listing | None:
    """The newest saved listing (waiting for the next index version, or served now)."""
    rows = conn.execute(sa.select(app_listings.c.document, app_listings.c.from_version).where(
        app_listings.c.store_id == store_id, app_listings.c.package == package,
        app_listings.c.to_version.is_(None))).all()
    if not rows:
        return None
    pending = [r for r in rows if r.from_version is None]
    return Listing.from_document((pending or rows)[0].document)


def served(conn: sa.Connection, store_id: int, packages: Iterable[str]) -> dict[str, Listing]:
    """The listings the store's current index version carries, by package."""
    found: dict[str, Listing] = {}
    names = sorted(set(packages))
    for start in range(0, len(names), 500):
        for package, document in conn.execute(sa.select(app_listings.c.package, app_listings.c.document).where(
                app_listings.c.store_id == store_id, app_listings.c.package.in_(names[start:start + 500]),
                _served_now())):
            found[package] = Listing.from_document(document)
    return found


def at_version(conn: sa.Connection, store_id: int, version: int,
               packages: list[str] | None = None) -> dict[str, Listing]:
    """The listings index version ``version`` carried (only these packages, when given)."""
    query = sa.select(app_listings.c.package, app_listings.c.document).where(
        app_listings.c.store_id == store_id, app_listings.c.from_version <= version,
        sa.or_(app_listings.c.to_version.is_(None), app_listings.c.to_version > version))
    rows = []
    if packages is None:
        rows = conn.execute(query).all()
    else:
        for start in range(0, len(packages), 500):
            rows += conn.execute(query.where(app_listings.c.package.in_(packages[start:start + 500]))).all()
    return {package: Listing.from_document(document) for package, document in rows}


def changed_between(conn: sa.Connection, store_id: int, old: int, new: int) -> set[str]:
    """Packages whose listing revision differs between two index versions."""
    opened = sa.and_(app_listings.c.from_version > old, app_listings.c.from_version <= new)
    closed = sa.and_(app_listings.c.to_version > old, app_listings.c.to_version <= new)
    return set(conn.execute(sa.select(app_listings.c.package).where(
        app_listings.c.store_id == store_id, sa.or_(opened, closed)).distinct()).scalars())


def save(conn: sa.Connection, store_id: int, package: str, listing: Listing) -> bool:
    """Keeps ``listing`` as the package's pending revision (replacing an earlier
    pending one: nobody has been served it). False when it equals what is
    already pending or served, so nothing needs building. The caller marks the
    package dirty in the same transaction."""
    document = listing.to_document()
    rows = conn.execute(sa.select(app_listings.c.id, app_listings.c.from_version, app_listings.c.document).where(
        app_listings.c.store_id == store_id, app_listings.c.package == package,
        app_listings.c.to_version.is_(None))).all()
    pending = next((r for r in rows if r.from_version is None), None)
    current = next((r for r in rows if r.from_version is not None), None)
    now = utcnow()
    if pending is not None:
        if pending.document == document:
            return False
        if current is not None and current.document == document:
            conn.execute(app_listings.delete().where(app_listings.c.id == pending.id))
            return True
        conn.execute(app_listings.update().where(app_listings.c.id == pending.id).values(document=document,
                                                                                         updated_at=now))
        return True
    if current is not None and current.document == document:
        return False
    conn.execute(app_listings.insert().values(store_id=store_id, package=package, document=document,
                                              created_at=now, updated_at=now))
    return True


def promote_pending(conn: sa.Connection, store_id: int, package: str, new_version: int) -> bool:
    """In the index builder: the pending revision becomes the one served from
    ``new_version`` on (the one it replaces stops there). True when one moved."""
    pending = conn.execute(sa.select(app_listings.c.id).where(
        app_listings.c.store_id == store_id, app_listings.c.package == package,
        app_listings.c.from_version.is_(None))).scalar()
    if pending is None:
        return False
    conn.execute(app_listings.update().where(app_listings.c.store_id == store_id, app_listings.c.package == package,
                                             _served_now()).values(to_version=new_version))
    conn.execute(app_listings.update().where(app_listings.c.id == pending).values(from_version=new_version))
    return True


# --- what a client is shown -----------------------------------------------------------

@dataclass(frozen=True)
class Shown:
    """One app as a client shows it, in one language: the listing where it
    speaks, the APK (label, upload fields) where it does not. Texts are plain."""

    name: str
    summary: str
    description: str
    news: str  # the release notes of the version shown
    category: str | None
    website: str
    email: str
    privacy_url: str
    source_url: str
    license: str
    screenshots: tuple[ListingImage, ...] = ()  # phone screenshots in the language shown
    feature_graphic: ListingImage | None = None


def shown(app: Any, listing: Listing | None, locale: str) -> Shown:
    """``app`` is a catalog ApkVersion (label, description, category, website,
    email, version_code and label_in)."""
    listing = listing or Listing()
    name = listing.text(locale, "name") or app.label_in(locale)
    description = plain_text(listing.text(locale, "description")) or app.description
    return Shown(name=name, summary=listing.text(locale, "summary"), description=description,
                 news=plain_text(pick_localized(listing.notes_for(app.version_code), locale)),
                 category=listing.category or app.category, website=listing.website or app.website or "",
                 email=listing.email or app.email or "", privacy_url=listing.privacy_url or "",
                 source_url=listing.source_url or "", license=listing.license or "",
                 screenshots=listing.screenshots_in(locale),
                 feature_graphic=(listing.feature_graphic[tag]
                                  if (tag := pick_locale(listing.feature_graphic, locale)) else None))
