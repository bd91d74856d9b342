"""Category names and the numbers the Aptoide Uploader speaks in.

Stores keep an app's category as text. The Uploader instead fills its
category list from ``listCategories`` (``{standard: [{id, parent, name}],
custom: [...]}``, dropping ids 1 and 2, the two top-level groups), sends the
chosen category's id to ``uploadAppToRepo``, and preselects an app's category
from ``getApkInfo``'s ``meta.categories.standard[1].id``. This module is that
mapping: a fixed list of standard categories, and a stable number for every
other name a store uses."""

from __future__ import annotations

import hashlib

APPLICATIONS, GAMES = 1, 2
_APPLICATIONS = ("Books & Reference", "Business", "Comics", "Communication", "Education", "Entertainment", "Finance",
                 "Health & Fitness", "Libraries & Demo", "Lifestyle", "Medical", "Multimedia", "Music & Audio",
                 "News & Magazines", "Personalization", "Photography", "Productivity", "Shopping", "Social", "Sports",
                 "Tools", "Transportation", "Travel & Local", "Weather")
_GAMES = ("Action", "Adventure", "Arcade", "Board", "Brain & Puzzle", "Cards & Casino", "Casual", "Racing",
          "Role Playing", "Simulation", "Sports Games", "Strategy")

# (id, parent, name); ids never change once published.
STANDARD: tuple[tuple[int, int, str], ...] = (
    (APPLICATIONS, 0, "Applications"), (GAMES, 0, "Games"),
    *((10 + i, APPLICATIONS, name) for i, name in enumerate(_APPLICATIONS)),
    *((100 + i, GAMES, name) for i, name in enumerate(_GAMES)),
)
_BY_NAME = {name.casefold(): (cid, parent, name) for cid, parent, name in STANDARD}
_BY_ID = {cid: (cid, parent, name) for cid, parent, name in STANDARD}
CUSTOM_BASE = 1_000_000  # custom ids live above every standard one


def custom_id(name: str) -> int:
    """A stable number for a category outside the standard list (same name, same number, on every host)."""
    return CUSTOM_BASE + int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:7], 16)


def entry(name: str) -> dict[str, object]:
    """{id, parent, name} of a category name, standard or not."""
    found = _BY_NAME.get(name.casefold())
    if found:
        return {"id": found[0], "parent": found[1], "name": found[2]}
    return {"id": custom_id(name), "parent": 0, "name": name}


def listing(used: list[str]) -> dict[str, list[dict[str, object]]]:
    """listCategories' answer: the standard list, and the other names stores use."""
    custom = sorted({name for name in used if name and name.casefold() not in _BY_NAME})
    return {"standard": [{"id": cid, "parent": parent, "name": name} for cid, parent, name in STANDARD],
            "custom": [entry(name) for name in custom]}


def name_of(value: str, used: list[str]) -> str | None:
    """The category a form field names: its number (as the Uploader sends it) or its name; None for an unknown number."""
    if value.isascii() and value.isdigit():
        number = int(value)
        if number in _BY_ID:
            return _BY_ID[number][2]
        return next((name for name in used if custom_id(name) == number), None)
    return value


def path_of(name: str | None) -> list[dict[str, object]]:
    """getApkInfo's meta.categories.standard: [the group, the category]. Always two entries: the
    Uploader reads standard[1] unguarded; an app without a category names the group twice."""
    if not name:
        group = {"id": APPLICATIONS, "parent": 0, "name": "Applications"}
        return [group, group]
    category = entry(name)
    group_id = category["parent"] or APPLICATIONS
    group = {"id": group_id, "parent": 0, "name": _BY_ID[group_id][2]}  # type: ignore[index]
    return [group, category]
