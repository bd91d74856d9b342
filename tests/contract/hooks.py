"""Schemathesis hooks (loaded with SCHEMATHESIS_HOOKS=tests.contract.hooks): how
to make values for the formats our OpenAPI document defines beyond JSON
Schema's own (each is described in the document)."""

from __future__ import annotations

import phonenumbers
import schemathesis
from hypothesis import strategies as st

from apkdepot.accounts.validation import PASSWORD_MAX, PASSWORD_MIN, PASSWORD_SPECIALS

# "At least 8 characters with a letter and a digit or one of !@#$%*".
schemathesis.openapi.format("apkdepot-password", st.builds(
    lambda letter, other, rest: letter + other + rest,
    st.characters(categories=["L"]),
    st.one_of(st.characters(categories=["Nd"]), st.sampled_from(PASSWORD_SPECIALS)),
    st.text(min_size=PASSWORD_MIN - 2, max_size=PASSWORD_MAX - 2)))

# "A phone number valid for the country, as libphonenumber decides": the
# library's own example numbers, in international form, are valid everywhere.
_EXAMPLES = sorted({phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
                    for region in phonenumbers.SUPPORTED_REGIONS
                    if (n := phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE))})
schemathesis.openapi.format("apkdepot-phone", st.sampled_from(_EXAMPLES))

# "A PNG or JPEG file": its signature bytes, then anything.
schemathesis.openapi.format("apkdepot-image", st.builds(
    lambda magic, rest: magic + rest, st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"]),
    st.binary(max_size=2048)))

# "A PNG, JPEG or WebP image" the server can use: real images of the allowed sizes.
def _image(size: tuple[int, int], fmt: str) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (11, 110, 79)).save(out, fmt)
    return out.getvalue()


schemathesis.openapi.format("apkdepot-screenshot", st.sampled_from(
    [_image((320, 640), "PNG"), _image((1024, 500), "JPEG"), _image((400, 800), "WEBP")]))

# "A signed APK": the real test APKs, so valid uploads are published (or conflict).
from pathlib import Path  # noqa: E402

_APKS = [p.read_bytes() for p in sorted((Path(__file__).resolve().parents[1] / "fixtures" / "apks").glob("*.apk"))
         if p.name not in ("unsigned.apk", "bad-package.apk")]
schemathesis.openapi.format("apkdepot-apk", st.sampled_from(_APKS))
