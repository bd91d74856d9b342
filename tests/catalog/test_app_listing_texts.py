"""Locale tags, the safe Markdown subset and plain text of a listing (pure functions)."""

from __future__ import annotations

from apkdepot.catalog import app_listing


def test_locale_tags_markdown_and_plain_text():
    assert app_listing.normalize_locale("pt_br") == "pt-BR"
    assert app_listing.normalize_locale("ZH-hant-tw") == "zh-Hant-TW"
    assert app_listing.normalize_locale("es-419") == "es-419"
    assert app_listing.normalize_locale("english") is None and app_listing.normalize_locale(3) is None
    html = app_listing.description_html("a <b>x</b> ![img](https://t.example/p.png) [l](data:text/html,1)")
    assert "<b>" not in html and "<img" not in html and 'href="data' not in html
    assert app_listing.plain_text("# Title\n\n- one\n- two\n\nA *b* `c`") == "Title\n\n• one\n\n• two\n\nA b c"
    values = {"en-US": "hello", "pt-BR": "olá", "pt-PT": "olá PT"}
    assert app_listing.pick_localized(values, "pt") == "olá" and app_listing.pick_localized(values, "de_DE") == "hello"
    assert app_listing.pick_localized(values, "pt_PT") == "olá PT"
