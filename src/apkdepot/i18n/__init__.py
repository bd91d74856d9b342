"""Message translation. English strings are the message ids; Brazilian
Portuguese comes from the Babel catalog ``locale/pt_BR/LC_MESSAGES/messages.po``,
compiled in memory at first use so the source tree needs no build step."""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DEFAULT_LOCALE = "en"
SUPPORTED_LOCALES = ("en", "pt_BR")
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def N_(message: str) -> str:
    """Marks a string for the catalog without translating it here."""
    return message


@functools.cache
def translations(locale: str) -> NullTranslations:
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT_LOCALE or not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def gettext(locale: str, message: str) -> str:
    return translations(locale).gettext(message)


def normalise_locale(tag: str | None) -> str | None:
    """'pt-BR', 'pt_br', 'pt' -> 'pt_BR'; 'en-US' -> 'en'; anything else -> None."""
    if not tag:
        return None
    tag = tag.strip().replace("-", "_").lower()
    if tag.startswith("pt"):
        return "pt_BR"
    if tag.startswith("en"):
        return "en"
    return None


def negotiate(lang_param: str | None, accept_language: str | None) -> str:
    """An explicit ``lang`` wins; then the first supported Accept-Language entry by q."""
    explicit = normalise_locale(lang_param)
    if explicit:
        return explicit
    if accept_language:
        ranked: list[tuple[float, int, str]] = []
        for position, part in enumerate(accept_language[:1000].split(",")):
            pieces = part.strip().split(";")
            q = 1.0
            for piece in pieces[1:]:
                piece = piece.strip()
                if piece.startswith("q="):
                    try:
                        q = float(piece[2:])
                    except ValueError:
                        q = 0.0
            locale = normalise_locale(pieces[0])
            if locale and q > 0:
                ranked.append((-q, position, locale))
        if ranked:
            return min(ranked)[2]
    return DEFAULT_LOCALE
