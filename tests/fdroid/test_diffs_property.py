"""For every timestamp T a store served, merge-patching the index-v2 served at
T with diff/T.json gives exactly the current index-v2.json; and entry.json's
sha256 and size match the bytes served."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apkdepot.catalog import app_listing, publishing, stores
from apkdepot.errors import Failure
from apkdepot.index import fdroid, fdroid_repo, versions
from tests.catalog.test_index_property import PACKAGES, operation, synthetic
from tests.conftest import BACKENDS
from tests.helpers import make_developer

_names = itertools.count()

# A listing edit: which app, and what its listing becomes (texts in one or two
# languages, a category that may come or go, release notes for a version).
listing_edit = st.tuples(
    st.sampled_from(PACKAGES),
    st.fixed_dictionaries({
        "locales": st.dictionaries(st.sampled_from(["en-US", "pt-BR"]),
                                   st.fixed_dictionaries({"name": st.sampled_from(["Alpha", "Álfa", ""]),
                                                          "summary": st.sampled_from(["", "Short"]),
                                                          "description": st.sampled_from(["", "*Bold* text"])}),
                                   max_size=2),
        "category": st.sampled_from([None, "Tools", "Música"]),
        "release_notes": st.dictionaries(st.sampled_from(["1", "2", "3"]),
                                         st.fixed_dictionaries({"en-US": st.sampled_from(["Fixes", "New"])}),
                                         max_size=2),
    }))


# A change of the store's own categories: which are defined, and what each is
# called in Portuguese (a translation that may come and go).
category_edit = st.lists(
    st.fixed_dictionaries({"name": st.sampled_from(["Tools", "Música", "Games & <Fun>"]),
                           "labels": st.dictionaries(st.sampled_from(["pt-BR", "es"]),
                                                     st.sampled_from(["Ferramentas", "Herramientas", "Jogos"]),
                                                     max_size=2)}),
    max_size=3, unique_by=lambda c: c["name"])


def fetch(client, store: str, name: str) -> bytes:
    response = client.get(f"/fdroid/{store}/repo/{name}", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200, (name, response.text[:200])
    return response.content


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(operation, min_size=1, max_size=16), description_change=st.booleans(),
       listing_edits=st.dictionaries(st.integers(0, 15), listing_edit, max_size=6),
       category_edits=st.dictionaries(st.integers(0, 15), category_edit, max_size=3))
def test_diff_from_every_served_timestamp(client, svc, tmp_path, history, description_change, listing_edits,
                                          category_edits):
    owner = getattr(svc, "_fdroid_owner", None)
    if owner is None:
        owner = svc._fdroid_owner = make_developer(svc, "fdroid@example.com")[0]
    store = stores.create_store(svc, owner.id, {"name": f"fd-{next(_names)}"})
    source = tmp_path / "blob.apk"
    source.write_bytes(b"synthetic")
    cache = client.litestar.state.runtime.cache
    served: dict[int, dict] = {}

    def snapshot() -> None:
        cache.refresh(force=True)
        entry = json.loads(fetch(client, store.name, "entry.json"))
        index_bytes = fetch(client, store.name, "index-v2.json")
        served[entry["timestamp"]] = json.loads(index_bytes)
        # Spliced from the previous version's files or rendered whole, the bytes are the same.
        kept = cache.get(store.name)
        view = fdroid_repo.StoreView(kept.id, kept.name, kept.description, kept.avatar_key)
        with svc.db.read() as conn:
            times = fdroid_repo.version_times(conn, store.id)
            listed = fdroid_repo.versions_at(conn, store.id, kept.version)
            said = app_listing.at_version(conn, store.id, kept.version)
            labels = fdroid_repo.labels_at(conn, store.id, kept.version)
        repo = fdroid_repo.repo_for(view, svc.settings.base_url, times[kept.version])
        assert index_bytes == fdroid.to_bytes(fdroid.index_v2(repo, listed, said, labels))
        with zipfile.ZipFile(io.BytesIO(fetch(client, store.name, "index-v1.jar"))) as jar:
            assert jar.read("index-v1.json") == fdroid.to_bytes(fdroid.index_v1(repo, listed, said))

    snapshot()
    for step, (action, package, version_code) in enumerate(history):
        try:
            if action == "publish":
                category = ("Tools", "Games & <Fun>", None, "Tools")[version_code - 1]  # so categories come and go
                publishing._record(svc, store, synthetic(package, version_code),
                                   {"category": category} if category else {}, source)
            elif action == "remove_version":
                publishing.remove_version(svc, store, package, version_code)
            elif action == "remove_app":
                publishing.remove_app(svc, store, package)
            elif versions.build_pending(svc, store.id):
                snapshot()
        except Failure:
            pass
        if step in listing_edits:
            package, body = listing_edits[step]
            try:  # only a published app has a listing (others are refused, LIST-8)
                publishing.put_listing(svc, store, package, body)
            except Failure as refused:  # LIST-13: a category the store does not define
                assert [p.code for p in refused.problems] in (["LIST-8"], ["LIST-13"])
        if step in category_edits:
            publishing.put_store_categories(svc, store, {"categories": category_edits[step]})
        if description_change and step == len(history) // 2:
            stores.update_store(svc, store, {"description": f"changed at step {step}"})
    if versions.build_pending(svc, store.id):
        snapshot()
    cache.refresh(force=True)

    current_bytes = fetch(client, store.name, "index-v2.json")
    current = json.loads(current_bytes)
    entry = json.loads(fetch(client, store.name, "entry.json"))
    assert entry["index"]["sha256"] == hashlib.sha256(current_bytes).hexdigest()
    assert entry["index"]["size"] == len(current_bytes)
    assert entry["index"]["numPackages"] == len(current["packages"])
    assert len(entry["diffs"]) == min(len(served) - 1, svc.settings.fdroid_diffs)
    for timestamp, listed in entry["diffs"].items():
        data = fetch(client, store.name, listed["name"].lstrip("/"))
        assert (listed["sha256"], listed["size"]) == (hashlib.sha256(data).hexdigest(), len(data))
    for timestamp, old in served.items():
        patch = json.loads(fetch(client, store.name, f"diff/{timestamp}.json"))
        assert fdroid.apply_merge_patch(old, patch) == current
    assert client.get(f"/fdroid/{store.name}/repo/diff/12345.json").status_code == 404


def test_merge_patch_round_trip_examples():
    old = {"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2]}
    new = {"a": 1, "b": {"c": 4}, "e": [2], "f": "x"}
    patch = fdroid.merge_patch(old, new)
    assert patch == {"b": {"c": 4, "d": None}, "e": [2], "f": "x"}
    assert fdroid.apply_merge_patch(old, patch) == new
