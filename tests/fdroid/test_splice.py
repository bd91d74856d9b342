"""index-v2 and index-v1 made from the previous version's bytes
(index/fdroid_splice.py) are byte for byte the documents rendered whole, for
any store and any change, whatever text the apps carry; and a package's value,
the categories and the package count read from the bytes are the document's."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from apkdepot.index import fdroid, fdroid_splice

# Text that looks like the anchors the splice searches for, to prove they only
# ever match where a fragment starts (inside a string every quote is escaped).
TRICKY = ['","x":{"metadata":{', '{"added":1', '":[{"added":', '],"packages":{', '},"repo":', "ç\\\"", ""]

packages = st.text(alphabet="abz._AZ09", min_size=1, max_size=5).map(lambda s: "p" + s)
text = st.one_of(st.sampled_from(TRICKY), st.text(max_size=8))


@st.composite
def listings(draw, package: str) -> list[fdroid.Version]:
    codes = draw(st.lists(st.integers(1, 9), min_size=1, max_size=3, unique=True))
    label, description = draw(text), draw(text)
    category = draw(st.sampled_from([None, "Tools", "Games & <Fun>", '"Quoted"']))
    return [fdroid.Version(
        package=package, label=label, description=description, category=category, version_code=code,
        version_name=f"{code}.0", min_sdk=21, target_sdk=34, permissions=["android.permission.INTERNET"],
        abis=["arm64-v8a"] if code % 2 else [], signer_sha256="ab" * 32, sha256=f"{package}-{code}".ljust(64, "0"),
        size=1000 + code, file_name=f"{package}_{code}.apk", icon_name=None, icon_sha256=None, added_ms=code * 1000,
        details={"uses_permission": [["android.permission.INTERNET", None]]}) for code in codes]


@st.composite
def stores(draw) -> dict[str, list[fdroid.Version]]:
    names = draw(st.lists(packages, max_size=12, unique=True))
    return {name: draw(listings(name)) for name in names}


REPO = fdroid.Repo(name="shop", description="A shop", address="http://example.test/fdroid/shop/repo", timestamp=2)


def flat(store: dict[str, list[fdroid.Version]]) -> list[fdroid.Version]:
    return [v for listed in store.values() for v in listed]


@given(before=stores(), after=stores())
def test_spliced_documents_equal_whole_renders(before, after):
    # Every package of either side is a change: replaced, added or removed.
    changed = before.keys() | after.keys()
    new_packages = fdroid.group(flat(after))
    v2_old = fdroid.to_bytes(fdroid.index_v2(REPO, flat(before)))
    v2_new = fdroid.to_bytes(fdroid.index_v2(REPO, flat(after)))
    unchanged = {p for p in before.keys() & after.keys() if before[p] == after[p]}
    changes = {p: (fdroid.package_v2(new_packages[p]) if p in new_packages else None) for p in changed - unchanged}
    assert fdroid_splice.splice_v2(v2_old, lambda names: fdroid.repo_block_v2(REPO, names), changes) == v2_new

    v1_old = fdroid.to_bytes(fdroid.index_v1(REPO, flat(before)))
    v1_new = fdroid.to_bytes(fdroid.index_v1(REPO, flat(after)))
    v1_changes = {p: ((fdroid.app_v1(p, new_packages[p]), fdroid.package_v1(new_packages[p]))
                      if p in new_packages else None) for p in changed - unchanged}
    assert fdroid_splice.splice_v1(v1_old, fdroid.repo_block_v1(REPO), v1_changes) == v1_new

    whole = json.loads(v2_new)
    for package in changed | {"p-absent"}:
        assert fdroid_splice.v2_package(v2_new, package) == whole["packages"].get(package)
    assert fdroid_splice.v2_repo(v2_new) == whole["repo"]
    assert fdroid_splice.v2_package_count(v2_new) == len(whole["packages"])
    assert fdroid_splice.v2_categories(v2_new) == set(fdroid.categories_of(new_packages))
