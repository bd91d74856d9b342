"""F-Droid repository formats (PROTOCOL §7) as pure functions: plain data in,
JSON bytes out. index-v2, entry.json, RFC 7396 merge-patch diffs and index-v1."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from apkdepot.catalog.app_listing import DEFAULT_LOCALE, Listing, description_html, plain_text

ENTRY_VERSION = 20002
INDEX_V1_VERSION = 20002


@dataclass(frozen=True)
class Version:
    package: str
    label: str
    description: str
    category: str | None
    version_code: int
    version_name: str
    min_sdk: int
    target_sdk: int
    permissions: Sequence[str]
    abis: Sequence[str]
    signer_sha256: str
    sha256: str
    size: int
    file_name: str
    icon_name: str | None
    icon_sha256: str | None
    added_ms: int
    # apk/inspect.manifest_details: uses_permission / uses_permission_sdk23 as
    # [[name, maxSdkVersion or None]], features as names.
    details: dict[str, Any] = field(default_factory=dict)

    def uses_permission(self) -> list[list[Any]]:
        return self.details.get("uses_permission") or [[p, None] for p in self.permissions]

    def uses_permission_sdk23(self) -> list[list[Any]]:
        return self.details.get("uses_permission_sdk23") or []

    def features(self) -> list[str]:
        return self.details.get("features") or []


@dataclass(frozen=True)
class Repo:
    name: str
    description: str
    address: str
    timestamp: int
    icon: dict[str, Any] | None = None


def to_bytes(document: Any) -> bytes:
    """Keys sorted, compact, UTF-8: the same document always gives the same bytes."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _localized(text: str) -> dict[str, str]:
    return {"en-US": text}


def repo_block(repo: Repo) -> dict[str, Any]:
    block: dict[str, Any] = {"name": _localized(repo.name), "address": repo.address, "timestamp": repo.timestamp,
                             "description": _localized(repo.description or repo.name)}
    if repo.icon:
        block["icon"] = _localized_file(repo.icon)
    return block


def _localized_file(file: dict[str, Any]) -> dict[str, Any]:
    return {"en-US": file}


@dataclass(frozen=True)
class AppTexts:
    """What the indexes say about an app: its listing where it speaks, the
    newest APK's label and upload fields where it does not."""

    names: dict[str, str]
    summaries: dict[str, str]
    descriptions: dict[str, str]  # HTML (index-v2, index-v1) from the listing's Markdown
    category: str | None
    website: str | None
    email: str | None
    source_url: str | None
    license: str | None


def app_texts(listed: list[Version], listing: Listing | None) -> AppTexts:
    newest = listed[0]
    listing = listing or Listing()
    descriptions = {tag: description_html(text) for tag, text in listing.localized("description").items()}
    if not descriptions and newest.description:
        descriptions = _localized(newest.description)
    return AppTexts(names={**_localized(newest.label), **listing.localized("name")},
                    summaries=listing.localized("summary"), descriptions=descriptions,
                    category=listing.category or newest.category, website=listing.website,
                    email=listing.email, source_url=listing.source_url, license=listing.license)


def _version_entry(v: Version, listing: Listing | None = None) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "versionName": v.version_name, "versionCode": v.version_code,
        "usesSdk": {"minSdkVersion": v.min_sdk, "targetSdkVersion": v.target_sdk},
        "signer": {"sha256": [v.signer_sha256]},
    }
    # fdroidserver's index-v2: {name, maxSdkVersion (only when the manifest sets it)}.
    for key, permissions in (("usesPermission", v.uses_permission()), ("usesPermissionSdk23", v.uses_permission_sdk23())):
        if permissions:
            manifest[key] = [{"name": name, **({"maxSdkVersion": max_sdk} if max_sdk is not None else {})}
                             for name, max_sdk in permissions]
    if v.features():
        manifest["features"] = [{"name": name} for name in v.features()]
    if v.abis:
        manifest["nativecode"] = list(v.abis)
    entry = {"added": v.added_ms, "file": {"name": f"/{v.file_name}", "sha256": v.sha256, "size": v.size},
             "manifest": manifest}
    notes = listing.notes_for(v.version_code) if listing is not None else {}
    if notes:
        entry["whatsNew"] = {tag: plain_text(text) for tag, text in sorted(notes.items())}
    return entry


def group(versions: Iterable[Version]) -> dict[str, list[Version]]:
    packages: dict[str, list[Version]] = {}
    for v in versions:
        packages.setdefault(v.package, []).append(v)
    for listed in packages.values():
        listed.sort(key=lambda v: v.version_code, reverse=True)
    return packages


def _metadata(listed: list[Version], listing: Listing | None) -> dict[str, Any]:
    newest = listed[0]
    texts = app_texts(listed, listing)
    metadata: dict[str, Any] = {"added": min(v.added_ms for v in listed),
                                "lastUpdated": max(v.added_ms for v in listed),
                                "name": texts.names}
    if texts.summaries:
        metadata["summary"] = texts.summaries
    if texts.descriptions:
        metadata["description"] = texts.descriptions
    if texts.category:
        metadata["categories"] = [texts.category]
    for key, value in (("webSite", texts.website), ("authorEmail", texts.email), ("sourceCode", texts.source_url),
                       ("license", texts.license)):
        if value:
            metadata[key] = value
    if newest.icon_name:
        icon: dict[str, Any] = {"name": f"/icons/{newest.icon_name}"}
        if newest.icon_sha256:
            icon["sha256"] = newest.icon_sha256
        metadata["icon"] = _localized_file(icon)
    if listing is not None:
        metadata.update(_images_v2(newest.package, listing))
    return metadata


def image_path(package: str, locale: str, name: str, phone: bool) -> str:
    """Where the repository serves a listing image: fdroidserver's layout, which
    index-v1 readers rebuild from the package, the locale and the file name."""
    return f"/{package}/{locale}/{'phoneScreenshots/' if phone else ''}{name}"


def _images_v2(package: str, listing: Listing) -> dict[str, Any]:
    """index-v2's ``screenshots.phone`` and ``featureGraphic`` (FileV2: name, sha256, size)."""
    found: dict[str, Any] = {}
    phone = {tag: [{"name": image_path(package, tag, i.name, True), "sha256": i.sha256, "size": i.size}
                   for i in images]
             for tag, images in sorted(listing.screenshots.items()) if images}
    if phone:
        found["screenshots"] = {"phone": phone}
    if listing.feature_graphic:
        found["featureGraphic"] = {tag: {"name": image_path(package, tag, i.name, False), "sha256": i.sha256,
                                         "size": i.size}
                                   for tag, i in sorted(listing.feature_graphic.items())}
    return found


def categories_of(packages: dict[str, list[Version]], listings: Mapping[str, Listing] | None = None) -> list[str]:
    """Every category a listed app is in (its listing's, else its newest version's)."""
    listings = listings or {}
    return sorted({c for package, listed in packages.items()
                   if (c := app_texts(listed, listings.get(package)).category)})


def package_v2(listed: list[Version], listing: Listing | None = None) -> dict[str, Any]:
    """One package's value in index-v2's "packages" (its versions, newest first)."""
    return {"metadata": _metadata(listed, listing),
            "versions": {v.sha256: _version_entry(v, listing) for v in listed}}


def category_entry(name: str, labels: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, Any]:
    """repo.categories' value for one category: its name in every language the store gives it."""
    return {"name": dict((labels or {}).get(name) or _localized(name))}


def repo_block_v2(repo: Repo, categories: Iterable[str],
                  labels: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, Any]:
    """``labels``: the store's own categories, name -> {locale: name} (store_categories.labels_by_name)."""
    block = repo_block(repo)
    # F-Droid clients show only the categories the repo block defines.
    names = sorted(set(categories))
    if names:
        block["categories"] = {name: category_entry(name, labels) for name in names}
    return block


def index_v2(repo: Repo, versions: Iterable[Version], listings: Mapping[str, Listing] | None = None,
             labels: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, Any]:
    packages = group(versions)
    listings = listings or {}
    return {"repo": repo_block_v2(repo, categories_of(packages, listings), labels),
            "packages": {package: package_v2(listed, listings.get(package)) for package, listed in packages.items()}}


def merge_patch(old: Any, new: Any) -> Any:
    """The RFC 7396 patch that turns ``old`` into ``new`` (null deletes a key).
    Lists and scalars are replaced whole, as the RFC says."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return new
    patch: dict[str, Any] = {}
    for key in old.keys() - new.keys():
        patch[key] = None
    for key, value in new.items():
        if key not in old:
            patch[key] = value
        elif old[key] != value:
            patch[key] = merge_patch(old[key], value) if isinstance(value, dict) and isinstance(old[key], dict) else value
    return patch


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 section 2."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result


def diff(old_index: dict[str, Any], new_index: dict[str, Any]) -> dict[str, Any]:
    patch = merge_patch(old_index, new_index)
    # The repo block always travels whole (it carries the new timestamp), with the
    # nulls that delete what it no longer has (a merge patch keeps the rest).
    repo = dict(new_index["repo"])
    for key, change in merge_patch(old_index.get("repo", {}), new_index["repo"]).items():
        if change is None:
            repo[key] = None
        elif isinstance(change, dict) and isinstance(repo.get(key), dict):
            repo[key] = {**repo[key], **{name: None for name, value in change.items() if value is None}}
    patch["repo"] = repo
    return patch


def file_entry(name: str, data: bytes, num_packages: int) -> dict[str, Any]:
    import hashlib

    return {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "numPackages": num_packages}


def entry(timestamp: int, index: dict[str, Any], diffs: dict[int, dict[str, Any]]) -> dict[str, Any]:
    return {"timestamp": timestamp, "version": ENTRY_VERSION, "index": index,
            "diffs": {str(ts): d for ts, d in sorted(diffs.items())}}


def app_v1(package: str, listed: list[Version], listing: Listing | None = None) -> dict[str, Any]:
    """One package's object in index-v1's "apps" (texts in the default locale at
    the top, every locale under "localized", as fdroidserver writes them)."""
    newest = listed[0]
    texts = app_texts(listed, listing)
    name = texts.names.get(DEFAULT_LOCALE) or newest.label
    summary = texts.summaries.get(DEFAULT_LOCALE) or name
    app: dict[str, Any] = {"packageName": package, "suggestedVersionCode": str(newest.version_code),
                           "name": name, "summary": summary, "license": texts.license or "Unknown",
                           "added": min(v.added_ms for v in listed), "lastUpdated": max(v.added_ms for v in listed),
                           "categories": [texts.category] if texts.category else []}
    if texts.descriptions.get(DEFAULT_LOCALE):
        app["description"] = texts.descriptions[DEFAULT_LOCALE]
    for key, value in (("webSite", texts.website), ("authorEmail", texts.email), ("sourceCode", texts.source_url)):
        if value:
            app[key] = value
    localized: dict[str, dict[str, Any]] = {}
    for key, values in (("name", texts.names), ("summary", texts.summaries), ("description", texts.descriptions)):
        for tag, value in values.items():
            localized.setdefault(tag, {})[key] = value
    notes = listing.notes_for(newest.version_code) if listing is not None else {}
    for tag, value in notes.items():
        localized.setdefault(tag, {})["whatsNew"] = plain_text(value)
    if listing is not None:
        # index-v1 names files only: phoneScreenshots/<name> and <name> below <package>/<locale>/.
        for tag, images in listing.screenshots.items():
            if images:
                localized.setdefault(tag, {})["phoneScreenshots"] = [i.name for i in images]
        for tag, image in listing.feature_graphic.items():
            localized.setdefault(tag, {})["featureGraphic"] = image.name
    if listing is not None and localized:
        app["localized"] = {tag: localized[tag] for tag in sorted(localized)}
    if newest.icon_name:
        app["icon"] = newest.icon_name
    return app


def package_v1(listed: list[Version]) -> list[dict[str, Any]]:
    """One package's versions in index-v1's "packages"."""
    return [{
        "added": v.added_ms, "apkName": v.file_name, "hash": v.sha256, "hashType": "sha256",
        "packageName": v.package, "size": v.size, "versionCode": v.version_code, "versionName": v.version_name,
        "minSdkVersion": v.min_sdk, "targetSdkVersion": v.target_sdk, "signer": v.signer_sha256,
        "uses-permission": v.uses_permission(),
        **({"uses-permission-sdk-23": v.uses_permission_sdk23()} if v.uses_permission_sdk23() else {}),
        **({"features": v.features()} if v.features() else {}),
        **({"nativecode": list(v.abis)} if v.abis else {}),
    } for v in listed]


def repo_block_v1(repo: Repo) -> dict[str, Any]:
    return {"timestamp": repo.timestamp, "version": INDEX_V1_VERSION, "name": repo.name,
            "icon": "icon.png", "address": repo.address, "description": repo.description or repo.name}


V1_REQUESTS = {"install": [], "uninstall": []}


def index_v1(repo: Repo, versions: Iterable[Version], listings: Mapping[str, Listing] | None = None) -> dict[str, Any]:
    packages = group(versions)
    listings = listings or {}
    return {
        "repo": repo_block_v1(repo),
        "requests": V1_REQUESTS,
        "apps": [app_v1(package, listed, listings.get(package)) for package, listed in sorted(packages.items())],
        "packages": {package: package_v1(listed) for package, listed in sorted(packages.items())},
    }


def _day(ms: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d")


def _short_permission(name: str) -> str:
    return name.removeprefix("android.permission.")


def index_v0_xml(repo: Repo, versions: Iterable[Version], listings: Mapping[str, Listing] | None = None) -> bytes:
    """The old F-Droid index.xml (fdroidserver's make_v0), which Obtainium and
    other older readers still fetch from third-party repositories."""
    from xml.sax.saxutils import escape, quoteattr

    def element(tag: str, text: Any) -> str:
        return f"<{tag}>{escape(str(text))}</{tag}>"

    out = ['<?xml version="1.0" encoding="utf-8"?>\n<fdroid>',
           f'<repo icon="icon.png" name={quoteattr(repo.name)} timestamp="{repo.timestamp // 1000}" '
           f'url={quoteattr(repo.address)} version="{INDEX_V1_VERSION}">'
           f'{element("description", repo.description or repo.name)}</repo>']
    listings = listings or {}
    for package, listed in sorted(group(versions).items()):
        newest = listed[0]
        texts = app_texts(listed, listings.get(package))
        name = texts.names.get(DEFAULT_LOCALE) or newest.label
        out.append(f"<application id={quoteattr(package)}>")
        out += [element("id", package), element("added", _day(min(v.added_ms for v in listed))),
                element("lastupdated", _day(max(v.added_ms for v in listed))), element("name", name),
                element("summary", texts.summaries.get(DEFAULT_LOCALE) or name),
                element("desc", texts.descriptions.get(DEFAULT_LOCALE) or name),
                element("license", texts.license or "Unknown")]
        for tag, value in (("web", texts.website), ("source", texts.source_url), ("email", texts.email)):
            if value:
                out.append(element(tag, value))
        if newest.icon_name:
            out.append(element("icon", newest.icon_name))
        if texts.category:
            out += [element("categories", texts.category), element("category", texts.category)]
        out += [element("marketversion", newest.version_name), element("marketvercode", newest.version_code)]
        for v in listed:
            out.append("<package>")
            out += [element("version", v.version_name), element("versioncode", v.version_code),
                    element("apkname", v.file_name), f'<hash type="sha256">{v.sha256}</hash>', element("size", v.size),
                    element("sdkver", v.min_sdk), element("targetSdkVersion", v.target_sdk),
                    element("added", _day(v.added_ms))]
            if v.uses_permission():
                out.append(element("permissions", ",".join(_short_permission(name) for name, _ in v.uses_permission())))
            if v.abis:
                out.append(element("nativecode", ",".join(v.abis)))
            if v.features():
                out.append(element("features", ",".join(v.features())))
            out.append("</package>")
        out.append("</application>")
    out.append("</fdroid>\n")
    return "".join(out).encode("utf-8")
