"""Keeps the pt_BR catalog in step with the source: extracts every N_()/_()
string from src/apkdepot (Python and Jinja2 templates), adds the new ones to
locale/pt_BR/LC_MESSAGES/messages.po, drops the ones no longer used, and lists
what still needs a translation.

    python scripts/catalog.py            # update and list untranslated
    python scripts/catalog.py --check    # exit 1 if anything is untranslated
    python scripts/catalog.py --set FILE.json   # also take {msgid: translation} from FILE
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent / "src" / "apkdepot"
PO = ROOT / "locale" / "pt_BR" / "LC_MESSAGES" / "messages.po"


def extract() -> Catalog:
    template = Catalog(project="ApkDepot")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
            keywords={"N_": None, "_": None, "gettext": (2,)},
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}):
        for msgid in (message if isinstance(message, tuple) else (message,)):
            if msgid:
                template.add(msgid, locations=[(filename, lineno)])
    return template


def main() -> int:
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="pt_BR")
    catalog.update(extract(), no_fuzzy_matching=True)
    catalog.obsolete.clear()
    if "--set" in sys.argv:
        translations = json.loads(Path(sys.argv[sys.argv.index("--set") + 1]).read_text("utf-8"))
        for msgid, msgstr in translations.items():
            if msgid in catalog:
                catalog[msgid].string = msgstr
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=0, omit_header=False, include_lineno=False)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    for msgid in untranslated:
        print(f"untranslated: {msgid!r}")
    return 1 if ("--check" in sys.argv and untranslated) else 0


if __name__ == "__main__":
    sys.exit(main())
