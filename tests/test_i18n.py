"""Every translatable string in the source has its Brazilian Portuguese translation."""

from pathlib import Path

from babel.messages.extract import extract_from_dir

import apkdepot
from apkdepot.i18n import gettext

SOURCE = Path(apkdepot.__file__).parent


def test_every_marked_string_is_translated():
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    keywords = {"N_": None, "_": None, "gettext": (2,)}
    missing = []
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(SOURCE), method_map=method_map, keywords=keywords, options_map={"**/templates/**.html": {}}):
        messages = message if isinstance(message, tuple) else (message,)
        for msgid in messages:
            if msgid and gettext("pt_BR", msgid) == msgid:
                missing.append(f"{filename}: {msgid!r}")
    assert missing == []
