"""A new info.xml made from the previous one's bytes (infoxml.splice) is
byte for byte the document rendered whole from the same entries, for any
previous store and any set of changes; and only an entry's own tag starts it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from apkdepot.index import infoxml

packages = st.text(alphabet="abz._AZ09", min_size=1, max_size=6).map(lambda s: "p" + s)
entry_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


def entry(package: str, label: str) -> str:
    # The label goes through the same escaping as real entries: "<package>" typed
    # into an app's name can never look like the start of an entry.
    return f"<package><name>{infoxml.xml_text(label)}</name><apkid>{infoxml.xml_text(package)}</apkid></package>"


def document(listed: dict[str, str], version: int, categories: set[str]) -> bytes:
    header = infoxml.Header("store", "http://example.test", len(listed), version)
    ordered = sorted(listed, key=infoxml.entry_order)
    return infoxml.document(header, categories, [entry(p, listed[p]) for p in ordered])


@given(before=st.dictionaries(packages, entry_text, max_size=30),
       changes=st.dictionaries(packages, st.none() | entry_text, max_size=12),
       categories=st.sets(st.sampled_from(["Tools", "Games & <Fun>", "Ñews"])))
def test_splice_equals_whole_render(before, changes, categories):
    previous = document(before, 1, {"Tools"})
    after = dict(before)
    for package, label in changes.items():
        if label is None:
            after.pop(package, None)
        else:
            after[package] = label
    header = infoxml.Header("store", "http://example.test", len(after), 2)
    spliced = infoxml.splice(previous, header, infoxml.categories_xml(categories).encode(),
                             [(p, None if label is None else entry(p, label)) for p, label in changes.items()])
    assert spliced == document(after, 2, categories)


def test_a_label_that_looks_like_an_entry_does_not_confuse_the_search():
    before = {"a.one": "<package><apkid>z</apkid></package>", "b.two": "x", "c.three": "</package>"}
    previous = document(before, 1, set())
    header = infoxml.Header("store", "http://example.test", 3, 2)
    spliced = infoxml.splice(previous, header, b"", [("b.two", entry("b.two", "new"))])
    assert spliced == document({**before, "b.two": "new"}, 2, set())


def test_categories_section_is_found_and_named():
    doc = document({"a": "x"}, 1, {"Games & <Fun>"})
    assert infoxml.category_xml_name("Games & <Fun>") in infoxml.categories_of(doc)
    assert infoxml.categories_of(document({}, 1, set())) == b""
