"""The contract's "not blank" pattern means the same to every reader: Python's re
with and without re.ASCII (schemathesis reads patterns with re.ASCII) and our
validators, which drop what str.strip() drops."""

import re
import sys

from apkdepot.api.contract import NOT_BLANK


def test_not_blank_is_not_isspace_under_every_reading():
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        for flags in (0, re.ASCII):
            assert (re.search(NOT_BLANK, char, flags) is not None) == (not char.isspace()), hex(code)
