"""The portal's listing editor: one language's texts at a time, the app's
links, the newest version's release notes and the language's images, saved
through the same checks as the JSON API (catalog/publishing.put_listing)."""

from __future__ import annotations

from typing import Any, Mapping

from apkdepot.catalog import app_listing, listing_images, publishing
from apkdepot.catalog.stores import Store
from apkdepot.errors import Failure
from apkdepot.services import Services

TEXT_FIELDS = ("name", "summary", "description")
FORM_FIELDS = (*TEXT_FIELDS, "notes", *app_listing.APP_FIELDS)
SHOWN_LOCALES = ("en-US", "pt-BR")


def _newest(svc: Services, store: Store, package: str):
    versions = [v for v in publishing.list_versions(svc, store) if v.package == package]
    return max(versions, key=lambda v: v.version_code) if versions else None


def page_data(svc: Services, store: Store, package: str, locale: str) -> dict[str, Any]:
    listing = publishing.get_listing(svc, store, package)  # NO_SUCH_APP when nothing is published
    newest = _newest(svc, store, package)
    texts = listing.texts.get(locale, app_listing.LocaleText())
    form = {"name": texts.name, "summary": texts.summary, "description": texts.description,
            "notes": listing.notes_for(newest.version_code).get(locale, ""),
            **{name: getattr(listing, name) or "" for name in app_listing.APP_FIELDS}}
    url = lambda image: listing_images.repo_url("", store.name, package, image.name)  # noqa: E731
    feature = listing.feature_graphic.get(locale)
    return {"form": form, "newest": newest, "label": newest.label, "locale_tag": locale,
            "locales": sorted({*SHOWN_LOCALES, *listing.texts, *listing.screenshots, locale}),
            "screenshots": [{"url": url(i), "name": i.name, "width": i.width, "height": i.height}
                            for i in listing.screenshots.get(locale, ())],
            "feature": {"url": url(feature), "width": feature.width, "height": feature.height} if feature else None}


def listing_body(listing: app_listing.Listing, locale: str, version_code: int, fields: Mapping[str, str],
                 dropped: list[str]) -> dict[str, Any]:
    """The whole listing as the JSON API takes it, with this language's form applied."""
    body = listing.public()
    body["locales"][locale] = {name: fields.get(name, "") for name in TEXT_FIELDS}
    notes = body["release_notes"].setdefault(str(version_code), {})
    notes[locale] = fields.get("notes", "")
    for name in app_listing.APP_FIELDS:
        body[name] = fields.get(name, "")
    kept = [i for i in body["screenshots"].get(locale, []) if i["name"] not in dropped]
    body["screenshots"][locale] = kept
    if fields.get("drop_feature") == "on":
        body["feature_graphic"].pop(locale, None)
    return body


def save_texts(svc: Services, store: Store, package: str, locale: str, fields: Mapping[str, str],
               dropped: list[str]) -> app_listing.Listing:
    listing = publishing.get_listing(svc, store, package)
    newest = _newest(svc, store, package)
    return publishing.put_listing(svc, store, package, listing_body(listing, locale, newest.version_code, fields,
                                                                    dropped))


def form_errors(failure: Failure, locale: str, ui_locale: str) -> tuple[dict[str, str], list[str]]:
    """The listing's problems by form field (``locales.<tag>.name`` is the form's ``name``)."""
    by_field: dict[str, str] = {}
    general: list[str] = []
    for p in failure.problems:
        field_name = p.field or ""
        if field_name.startswith(f"locales.{locale}."):
            field_name = field_name.rsplit(".", 1)[1]
        elif field_name.startswith("release_notes."):
            field_name = "notes"
        if field_name in FORM_FIELDS and field_name not in by_field:
            by_field[field_name] = p.message(ui_locale)
        else:
            general.append(p.message(ui_locale))
    return by_field, general
