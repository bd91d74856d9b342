"""Every translatable string in the source has its Brazilian Portuguese translation."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import apkdepot
from apkdepot.i18n import LOCALE_DIR

SOURCE = Path(apkdepot.__file__).parent


def test_every_marked_string_is_translated():
    with (LOCALE_DIR / "pt_BR" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="pt_BR")
    missing = []
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(SOURCE), method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
            keywords={"N_": None, "_": None, "gettext": (2,)},
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}):
        for msgid in (message if isinstance(message, tuple) else (message,)):
            if msgid and not (msgid in catalog and catalog[msgid].string):
                missing.append(f"{filename}: {msgid!r}")
    assert missing == []
