"""For ANY index version a store ever served, the delta to the current one is
exact: applying it to that version's entries gives the current entries, and
the added/removed counts are the set differences. Driven by random histories."""

from __future__ import annotations

import gzip
import hashlib
import itertools
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apkdepot.apk.info import ApkInfo
from apkdepot.catalog import publishing, stores
from apkdepot.errors import Failure
from apkdepot.index import versions
from tests.conftest import BACKENDS, make_settings
from tests.helpers import make_developer

PACKAGES = [f"org.example.p{i}" for i in range(4)]
SIGNER = "ab" * 32

operation = st.one_of(
    st.tuples(st.just("publish"), st.sampled_from(PACKAGES), st.integers(1, 4)),
    st.tuples(st.just("remove_version"), st.sampled_from(PACKAGES), st.integers(1, 4)),
    st.tuples(st.just("remove_app"), st.sampled_from(PACKAGES), st.just(0)),
    st.tuples(st.just("build"), st.just(""), st.just(0)),
)

_names = itertools.count()


@pytest.fixture(name="settings")
def splicing_settings(tmp_path, database_url):
    # Every store splices (however small); every 5th version is rendered whole.
    return make_settings(tmp_path, database_url, index_splice_min_apps=0, index_full_render_every=5)


def synthetic(package: str, version_code: int) -> ApkInfo:
    digest = hashlib.sha256(f"{package}:{version_code}".encode()).hexdigest()
    return ApkInfo(package=package, version_code=version_code, version_name=f"{version_code}.0", label=package,
                   min_sdk=21, target_sdk=30, permissions=(), abis=(), signer_sha1="cd" * 20,
                   signer_sha256=SIGNER, signing_schemes=("v2",), icon_png=None, md5=digest[:32], sha256=digest,
                   size=1000 + version_code)


def entries(xml: bytes) -> tuple[set[tuple[str, int]], set[tuple[str, int]], str | None]:
    root = ElementTree.fromstring(xml)
    present, deleted = set(), set()
    for p in root.findall("package"):
        pair = (p.findtext("apkid"), int(p.findtext("vercode")))
        (deleted if p.find("del") is not None else present).add(pair)
    return present, deleted, root.findtext("repository/delta")


def filed(xml: bytes) -> dict[tuple[str, int], str | None]:
    """Each listed entry's category (<catg2>), as a client stores it."""
    root = ElementTree.fromstring(xml)
    return {(p.findtext("apkid"), int(p.findtext("vercode"))): p.findtext("catg2")
            for p in root.findall("package") if p.find("del") is None}


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(operation, min_size=1, max_size=25))
def test_delta_from_every_served_version(client, svc, tmp_path, history):
    owner = getattr(svc, "_property_owner", None)
    if owner is None:
        owner = svc._property_owner = make_developer(svc, "prop@example.com")[0]
    store = stores.create_store(svc, owner.id, {"name": f"prop-{next(_names)}"})
    source = tmp_path / "blob.apk"
    source.write_bytes(b"synthetic")

    model: dict[str, set[int]] = {}  # published, not removed
    served: list[tuple[int, str, set[tuple[str, int]]]] = []
    categories_served: dict[int, dict[tuple[str, int], str | None]] = {1: {}}

    def expected() -> set[tuple[str, int]]:
        return {(p, max(vs)) for p, vs in model.items() if vs}

    def build() -> None:
        built = versions.build_pending(svc, store.id)
        if built is not None:
            body = svc.blobs.get_bytes(versions.index_key(store.id, built.version))
            assert hashlib.md5(body).hexdigest() == built.md5
            # Spliced from the previous version or rendered whole, the bytes are the same.
            with svc.db.read() as conn:
                whole, appscount = versions._render_full(conn, svc, store.id, store.name, built.version)
            assert body == whole and built.appscount == appscount
            assert gzip.decompress(svc.blobs.get_bytes(versions.index_gzip_key(store.id, built.version))) == body
            present, _, _ = entries(body)
            assert present == expected()
            served.append((built.version, built.md5, present))
            categories_served[built.version] = filed(body)

    first = svc.blobs.get_bytes(versions.index_key(store.id, 1))
    served.append((1, hashlib.md5(first).hexdigest(), set()))
    for action, package, version_code in history:
        try:
            if action == "publish":
                # Categories come and go with versions (one needs escaping), so the
                # category list of a spliced version must gain and lose names.
                category = ("Tools", "Games & <Fun>", None, "Tools")[version_code - 1]
                publishing._record(svc, store, synthetic(package, version_code),
                                   {"category": category} if category else {}, source)
                model.setdefault(package, set()).add(version_code)
            elif action == "remove_version":
                publishing.remove_version(svc, store, package, version_code)
                model[package].discard(version_code)
            elif action == "remove_app":
                publishing.remove_app(svc, store, package)
                model[package] = set()
            else:
                build()
        except Failure as failure:
            assert failure.problems[0].code == "APK-1"  # removing what is not there
    build()

    client.litestar.state.runtime.cache.refresh(force=True)
    now = expected()
    current_md5 = served[-1][1]
    current_version = served[-1][0]
    with svc.db.read() as conn:
        counter = versions.change_counter(conn, store.id, current_version)
    for version, md5, then in served:
        with svc.db.read() as conn:
            delta = versions.delta_since(conn, store.id, version)
            # A counter held for any earlier version, advanced by what moved since, is
            # the one built anew (and one built for an old version counts as of then).
            held = versions.change_counter(conn, store.id, version)
            assert versions.advance_counter(conn, store.id, held, version, current_version) == counter
            for earlier, _, before in served:
                if earlier <= version:
                    assert held.counts(earlier) == (len(then - before), len(before - then))
        # The SQL-free counts listRepositoryChange answers from agree with the sets.
        assert counter.counts(version) == (len(delta.added_apk_ids), len(delta.removed_apk_ids))
        with svc.db.read() as conn:
            assert versions.present_apk_ids(conn, store.id, version) == versions.present_apk_ids(conn, store.id) - delta.added_apk_ids | delta.removed_apk_ids
        assert len(delta.added_apk_ids) == len(now - then)
        assert len(delta.removed_apk_ids) == len(then - now)
        body = client.get(f"/repo/{store.name}/info.xml", params={"hash": md5},
                          headers={"Accept-Encoding": "identity"}).content
        added, deleted, delta_md5 = entries(body)
        assert delta_md5 == current_md5
        assert (then - deleted) | added == now
        # Every entry that arrived is sent; one still listed is sent again only when
        # it was re-rendered in place since (its category moved with the listing,
        # as uploads' categories fill the listing): the client then holds exactly
        # the current index, categories included.
        assert deleted == then - now and now - then <= added <= now
        held_now = {pair: category for pair, category in categories_served[version].items() if pair not in deleted}
        held_now.update(filed(body))
        assert held_now == categories_served[current_version]
        for pair in added & then:  # sent again: its category changed at some version since
            assert any(categories_served[later].get(pair, "absent") != categories_served[version][pair]
                       for later in categories_served if later > version)
