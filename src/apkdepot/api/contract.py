"""The HTTP contract of every endpoint outside the generated web services:
the request bodies each accepts (JSON Schema, exactly the rules the
validators apply) and every status each can answer, with the body of each.
api/openapi.py writes them into the OpenAPI document; the schemathesis test
checks the live server against it."""

from __future__ import annotations

from typing import Any

from apkdepot.accounts.validation import (
    BUSINESS_NAME_MAX, COUNTRY_CODES, EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN, PASSWORD_SPECIALS, STORE_NAME_MAX,
)
from apkdepot.catalog.owner_apps import CURRENCIES, TIME_ZONES
from apkdepot.catalog.stores import DESCRIPTION_MAX, THEMES
from apkdepot.webhooks import EVENTS as WEBHOOK_EVENTS, HTTPS_URL_PATTERN, URL_MAX as WEBHOOK_URL_MAX

# --- bodies ---------------------------------------------------------------------------

FAIL_ENVELOPE = {
    "type": "object", "required": ["status", "errors"],
    "properties": {"status": {"const": "FAIL"}, "errors": {"type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["code", "msg"],
        "properties": {"code": {"type": "string"}, "msg": {"type": "string"}, "field": {"type": "string"}}}}},
}
OK_ENVELOPE = {"type": "object", "required": ["status"], "properties": {"status": {"const": "OK"}}}

# What str.strip() removes around a value the validators strip.
_PAD = r"\s*"
EMAIL_PATTERN = (_PAD + r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                 r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+" + _PAD + r"$")
EMAIL = {"type": "string", "pattern": "^" + EMAIL_PATTERN, "maxLength": EMAIL_MAX,
         "description": "An e-mail address (surrounding spaces are ignored)"}
PASSWORD = {"type": "string", "minLength": PASSWORD_MIN, "maxLength": PASSWORD_MAX, "format": "apkdepot-password",
            "description": f"At least {PASSWORD_MIN} characters with a letter and a digit or one of "
                           f"{PASSWORD_SPECIALS}"}
# Python's whitespace (str.isspace), which the server's \s means: JSON Schema's
# (ECMA-262) \s leaves out \x1c-\x1f and \x85.
_SPACE = r"\t\n\x0b\x0c\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
URL = {"type": "string", "maxLength": 500,
       "pattern": (r"^[Hh][Tt][Tt][Pp][Ss]?://[^" + _SPACE + r"/$.?#][^" + _SPACE + r"]*\.[^" + _SPACE + r"]+$"
                   r"|^[Hh][Tt][Tt][Pp][Ss]?://[Ll][Oo][Cc][Aa][Ll][Hh][Oo][Ss][Tt](:[0-9]+)?(/[^" + _SPACE + r"]*)?$"),
       "description": "An http:// or https:// address with a dotted host name, or localhost"}
ACCEPTED = {"anyOf": [{"const": True}, {"type": "string", "pattern": r"^\s*(1|[Tt][Rr][Uu][Ee]|[Oo][Nn]|[Yy][Ee][Ss])\s*$"}]}


def _word_pattern(*words: str) -> str:
    """Case-insensitive, space-padded alternatives, spelled out for every regex dialect."""
    def spelled(word: str) -> str:
        return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)

    return r"^\s*(" + "|".join(spelled(w) for w in words) + r")\s*$"


# "Not blank": a character that is not whitespace as str.strip() and str.isspace()
# see it (what our validators drop), spelled out instead of \S, whose meaning
# differs between regex readings (ECMA, Python with and without re.ASCII).
NOT_BLANK = "[^" + _SPACE + "]"


def _text(limit: int) -> dict[str, Any]:
    """A value that must not be blank, at most ``limit`` characters."""
    return {"type": "string", "pattern": NOT_BLANK, "maxLength": limit}


BUSINESS_FIELDS = {
    "business_name": _text(BUSINESS_NAME_MAX),
    "company_name": _text(200),
    "address": _text(500),
    "city": _text(200),
    "zip_code": _text(32),
    "country": {"type": "string", "pattern": _word_pattern(*sorted(COUNTRY_CODES)),
                "description": "ISO 3166-1 alpha-2 country code"},
    "phone": {"type": "string", "format": "apkdepot-phone", "maxLength": 32,
              "description": "A phone number valid for the country (as libphonenumber decides), e.g. +351 912 345 678"},
    "tax_id": _text(64),
}

REGISTRATION = {
    "type": "object",
    "required": ["email", "password", "name", "account_type", "accept_terms"],
    "properties": {"email": EMAIL, "password": PASSWORD, "name": _text(200),
                   "account_type": {"type": "string", "pattern": _word_pattern("personal", "business")},
                   "accept_terms": ACCEPTED, "website": URL},
    "if": {"properties": {"account_type": {"pattern": _word_pattern("business")}}, "required": ["account_type"]},
    "then": {"required": list(BUSINESS_FIELDS), "properties": BUSINESS_FIELDS},
}
LOGIN = {"type": "object", "required": ["email", "password"],
         "properties": {"email": {"type": "string"}, "password": {"type": "string"},
                        "otp": {"type": "string", "maxLength": 20,
                                "description": "With the second factor on: its code, or a recovery code"}}}
EMAIL_ONLY = {"type": "object", "required": ["email"], "properties": {"email": EMAIL}}
RESET = {"type": "object", "required": ["token", "password"],
         "properties": {"token": {"type": "string"}, "password": PASSWORD}}

STORE_NAME = {"type": "string", "pattern": r"^[A-Za-z0-9]+(-+[A-Za-z0-9]+)*$", "maxLength": STORE_NAME_MAX}
STORE_SETTINGS = {
    "description": {"type": "string", "maxLength": DESCRIPTION_MAX},
    "theme": {"enum": list(THEMES)},
    "private": {"type": "boolean"},
    # null is the same as leaving the field out.
    "basic_user": {"type": ["string", "null"], "pattern": r"^[^:]*[^:\s][^:]*$", "maxLength": 100},
    "basic_password": {"type": ["string", "null"], "minLength": 8, "maxLength": 256},
}


def _given(*names: str) -> dict[str, Any]:
    """Each of ``names`` present and not null."""
    return {"required": list(names), "properties": {name: {"type": "string"} for name in names}}


# A private store needs credentials; giving either half means giving both.
_CREDENTIALS_RULES = [
    {"if": {"properties": {"private": {"const": True}}, "required": ["private"]},
     "then": _given("basic_user", "basic_password")},
    {"if": _given("basic_user"), "then": _given("basic_password")},
    {"if": _given("basic_password"), "then": _given("basic_user")},
]
STORE_CREATE = {"type": "object", "required": ["name"], "properties": {"name": STORE_NAME, **STORE_SETTINGS},
                "allOf": _CREDENTIALS_RULES}
STORE_UPDATE = {"type": "object", "properties": STORE_SETTINGS, "allOf": _CREDENTIALS_RULES[1:],
                "description": "Making a store private needs basic_user and basic_password unless it has them "
                               "already (409 REPO-7 otherwise)."}
UPLOAD_META = {  # an empty value is the same as none
    "description": {"type": "string", "maxLength": 4000},
    "category": {"type": "string", "maxLength": 100},
    "apk_website": {"anyOf": [{"const": ""}, URL]},
    "apk_email": {"anyOf": [{"const": ""}, EMAIL]},
}
PUBLISH_JSON = {"type": "object", "required": ["apk_md5sum"],
                "properties": {"apk_md5sum": {"type": "string", "pattern": r"^[0-9a-fA-F]{32}$"}, **UPLOAD_META}}
PUBLISH_MULTIPART = {"type": "object", "required": ["apk"],
                     "properties": {"apk": {"type": "string", "format": "apkdepot-apk", "contentMediaType":
                                            "application/vnd.android.package-archive",
                                            "description": "A signed APK (the server inspects it: APK-2 … APK-18)"},
                                    **UPLOAD_META}}
TOKEN_CREATE = {"type": "object", "properties": {
    "name": {"type": ["string", "null"], "maxLength": 100, "description": "Shown in listings; default 'API token'"},
    "scopes": {"type": ["array", "null"], "minItems": 1, "uniqueItems": False,
               "items": {"enum": ["apps:read", "stores:read", "stores:write", "publish"]},
               "description": "What the token may do (default: apps:read, the app list API)"},
    "expires_in_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 3650,
                        "description": "Days until the token stops working (default: never)"}}}
APP_SETTINGS = {
    "name": _text(200),
    "currency": {"type": "string", "pattern": _word_pattern(*sorted(CURRENCIES)).replace(r"^\s*", "^").replace(r"\s*$", r"$"),
                 "description": "ISO 4217 code, e.g. EUR (any case)"},
    "time_zone": {"enum": sorted(TIME_ZONES), "description": "IANA time zone, e.g. Europe/Lisbon"},
    "enable_retargetting": {"type": ["boolean", "null"]},
}
APP_REGISTER = {"type": "object", "required": ["id", "name"],
                "properties": {"platform": {"const": "ios"},
                               "id": {"type": "string", "maxLength": 255,
                                      "pattern": r"^\s*(id[0-9]{1,15}|[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+)\s*$",
                                      "description": "'id' and the App Store number (id123456789) or a bundle id"},
                               **APP_SETTINGS}}
APP_UPDATE = {"type": "object", "properties": APP_SETTINGS}
AVATAR = {"type": "string", "format": "apkdepot-image", "maxLength": 1024 * 1024,
          "description": "A PNG or JPEG file (checked by its signature bytes), at most 1 MB"}

# The canonical forms (en-US, zh-Hant-TW, es-419): the server also reads pt_br as pt-BR.
_LOCALE_TAG = r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$"
_VERSION_CODE = (r"^([1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}"
                 r"|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7])$")
_ONE_LINE = r"^[^\n\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
_LINES = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# One line with at least one visible character (\S alone would let one control character through).
_ONE_LINE_NOT_BLANK = r"^[^\n\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*[^\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f][^\n\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


_IMAGE_NAME = {"type": "string", "pattern": r"^[0-9a-f]{64}\.(png|jpg|webp)$",
               "description": "<sha256>.<extension>, as the upload answered"}
# An image by its name, or as GET shows it (only the name is read).
_IMAGE_REF = {"anyOf": [_IMAGE_NAME, {"type": "object", "required": ["name"], "properties": {"name": _IMAGE_NAME}}]}


def _listing_text(limit: int, pattern: str = _ONE_LINE) -> dict[str, Any]:
    return {"type": ["string", "null"], "maxLength": limit, "pattern": pattern}


def _or_empty(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [{"type": "null"}, {"const": ""}, schema]}


LISTING = {
    "type": "object", "additionalProperties": False,
    "description": "The whole listing (PUT replaces it); every field optional",
    "properties": {
        "locales": {"type": "object", "maxProperties": 80, "propertyNames": {"pattern": _LOCALE_TAG},
                    "description": "BCP 47 tag -> texts",
                    "additionalProperties": {"type": "object", "additionalProperties": False, "properties": {
                        "name": _listing_text(50), "summary": _listing_text(80),
                        "description": {**_listing_text(4000, _LINES),
                                        "description": "Markdown (no raw HTML, no images)"}}}},
        "category": {**_listing_text(100), "description": "One of the store's categories when it defines any "
                                                          "(422 LIST-13 otherwise)"},
        "website": _or_empty(URL),
        "email": _or_empty(EMAIL),
        "privacy_url": _or_empty(URL),
        "source_url": _or_empty(URL),
        "license": {**_listing_text(100, r"^[A-Za-z0-9.+\-() ]*$"), "description": "SPDX identifier or expression"},
        "release_notes": {"type": "object", "maxProperties": 200, "propertyNames": {"pattern": _VERSION_CODE},
                          "description": "version code -> BCP 47 tag -> what's new (at most 500 characters)",
                          "additionalProperties": {"type": "object", "maxProperties": 80,
                                                   "propertyNames": {"pattern": _LOCALE_TAG},
                                                   "additionalProperties": _listing_text(500, _LINES)}},
        "screenshots": {"type": "object", "maxProperties": 80, "propertyNames": {"pattern": _LOCALE_TAG},
                        "description": "BCP 47 tag -> phone screenshots in order (images uploaded for the app; "
                                       "422 LIST-10 names one that was not)",
                        "additionalProperties": {"type": "array", "maxItems": 8, "uniqueItems": True,
                                                 "items": _IMAGE_REF}},
        "feature_graphic": {"type": "object", "maxProperties": 80, "propertyNames": {"pattern": _LOCALE_TAG},
                            "description": "BCP 47 tag -> feature graphic (an image uploaded for the app)",
                            "additionalProperties": _IMAGE_REF},
    },
}
STORE_CATEGORIES = {
    "type": "object", "additionalProperties": False, "required": ["categories"],
    "properties": {"categories": {
        "type": "array", "maxItems": 100, "description": "In the order shown; names that differ only in case are one category (the first spelling stays, labels join)",
        "items": {"type": "object", "additionalProperties": False, "required": ["name"], "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": _ONE_LINE_NOT_BLANK},
            "labels": {"type": "object", "maxProperties": 80, "propertyNames": {"pattern": _LOCALE_TAG},
                       "description": "BCP 47 tag -> the category's name in that language",
                       "additionalProperties": _listing_text(100)}}}}},
}
OTP = {"type": "object", "required": ["otp"],
       "properties": {"otp": {"type": "string", "maxLength": 20,
                              "description": "A 6-digit code from the authenticator app, or a recovery code"}}}
# Turning the factor off takes a code while it is on (when it is off there is nothing to turn off).
OTP_WHEN_ON = {"type": "object", "properties": OTP["properties"]}
REASON = {"type": "object", "required": ["reason"],
          "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 500,
                                    "description": "Why (shown to the owner)"}}}
TAKEDOWN = {"type": "object", "required": ["reason"],
            "properties": {**REASON["properties"],
                           "version_code": {"type": "integer", "minimum": 0,
                                            "description": "Only this version (default: every version)"}}}
MODERATION_SWITCH = {"type": "object", "required": ["enabled"], "properties": {"enabled": {"type": "boolean"}}}
STORE_RENAME = {"type": "object", "required": ["name"], "properties": {"name": STORE_NAME}}
STORE_DELETE = {"type": "object", "required": ["confirm", "reason"], "properties": {
    "confirm": {"type": "string", "maxLength": STORE_NAME_MAX, "description": "The store's name again (REPO-8 otherwise)"},
    **REASON["properties"]}}
PASSWORD_CHANGE = {"type": "object", "required": ["current_password", "new_password"],
                   "properties": {"current_password": {"type": "string", "maxLength": PASSWORD_MAX},
                                  "new_password": PASSWORD}}
ACCOUNT_DELETE = {"type": "object", "required": ["password"],
                  "properties": {"password": {"type": "string", "maxLength": PASSWORD_MAX,
                                              "description": "The account's password (403 AUTH-11 otherwise)"}}}
EMAIL_CHANGE = {"type": "object", "required": ["password", "email"],
                "properties": {"password": {"type": "string", "maxLength": PASSWORD_MAX}, "email": EMAIL}}
LISTING_IMAGE_UPLOAD = {
    "type": "object", "required": ["image"],
    "properties": {
        "image": {"type": "string", "format": "apkdepot-screenshot",
                  "description": "A PNG, JPEG or WebP image of at most 8 MB, each side 320 to 3,840 px, sides at most "
                                 "2.5:1 (decoded whole by the server: LIST-9 when it cannot be used)"},
        "kind": {"enum": ["phone", "feature"], "description": "A phone screenshot (the default) or the feature graphic"},
        "locale": {"type": "string", "pattern": _LOCALE_TAG, "description": "BCP 47 tag; en-US by default"},
    },
}

_HOOK_EVENTS = {"type": ["array", "null"], "minItems": 1, "items": {"enum": list(WEBHOOK_EVENTS)},
                "description": "The events it takes (default: all)"}
WEBHOOK_CREATE = {"type": "object", "required": ["url"], "properties": {
    "url": {"type": "string", "maxLength": WEBHOOK_URL_MAX, "pattern": HTTPS_URL_PATTERN,
            "description": "An https:// address of a public host (http and private addresses only where the "
                           "operator allows them)"},
    "events": _HOOK_EVENTS}}
WEBHOOK_UPDATE = {"type": "object", "properties": {
    "url": {"type": ["string", "null"], "maxLength": WEBHOOK_URL_MAX, "pattern": HTTPS_URL_PATTERN},
    "events": _HOOK_EVENTS,
    "new_secret": {"type": ["boolean", "null"], "description": "true: a new signing secret (in the answer)"}}}

# --- statuses --------------------------------------------------------------------------

_WHY = {
    400: "The request cannot be read: malformed or non-UTF-8 JSON, a value that is too long, or a bad number",
    401: "No valid dev token or session (AUTH-3, IARG-2)",
    403: "An API token without the scope the endpoint needs (TOKEN-5), a cookie-authenticated request without "
         "its CSRF token, a cross-site Origin (AUTH-4), another "
         "developer's store (REPO-1), a disabled account (AUTH-10), a wrong current password (AUTH-11), or, under "
         "/api/admin, a developer who is not an operator (ADMIN-1)",
    404: "No such resource (for links: LINK-1, no such link; for listings: LIST-8, no such app in the store)",
    410: "The link was used already or has expired (LINK-2, LINK-3)",
    409: "Conflict with what exists (a taken name, another version's bytes or key), or with the resource's state "
         "(REPO-7: making a store without credentials private)",
    413: "The body is larger than allowed",
    415: "The body is not sent as application/json (IARG-108)",
    422: "The values break a rule; each problem names its field",
    429: "Rate limited; Retry-After says when to come back",
    503: "Busy; Retry-After says when to come back",
}

AUTH = (401, 403)
# An empty body changes nothing (PATCH) or takes the defaults.
OPTIONAL_BODY = {("PATCH", "/api/stores/{name}"), ("PATCH", "/api/stores/{name}/webhooks/{hook}"), ("PATCH", "/api/apps/{platform}/{app_id}"), ("POST", "/api/tokens"),
                 ("POST", "/api/accounts/second-factor/disable")}
JSON_BODY = (400, 403, 413, 415)


def failures(*codes: int) -> dict[int, str]:
    return {code: _WHY[code] for code in sorted(set(codes))}


# (method, path) -> (request bodies by media type, the statuses it may answer besides its success)
API: dict[tuple[str, str], tuple[dict[str, Any], dict[int, str]]] = {
    ("POST", "/api/accounts/register"): ({"application/json": REGISTRATION}, failures(*JSON_BODY, 409, 422, 429)),
    ("GET", "/api/accounts/confirm"): ({}, failures(404, 410)),
    ("POST", "/api/accounts/confirm/resend"): ({"application/json": EMAIL_ONLY}, failures(*JSON_BODY, 422, 429)),
    ("POST", "/api/accounts/login"): ({"application/json": LOGIN}, failures(*JSON_BODY, 401, 429)),
    ("POST", "/api/accounts/logout"): ({}, failures(403)),
    ("GET", "/api/accounts/me"): ({}, failures(*AUTH)),
    ("GET", "/api/accounts/token"): ({}, failures(*AUTH)),
    ("POST", "/api/accounts/token/regenerate"): ({}, failures(*AUTH)),
    ("POST", "/api/accounts/password/forgot"): ({"application/json": EMAIL_ONLY}, failures(*JSON_BODY, 422, 429)),
    ("GET", "/api/accounts/password/reset"): ({}, failures(404, 410)),
    ("POST", "/api/accounts/password/reset"): ({"application/json": RESET}, failures(*JSON_BODY, 404, 410, 422)),
    ("POST", "/api/stores"): ({"application/json": STORE_CREATE}, failures(*AUTH, *JSON_BODY, 409, 422)),
    ("GET", "/api/stores"): ({}, failures(*AUTH)),
    ("GET", "/api/stores/{name}"): ({}, failures(*AUTH, 404)),
    ("PATCH", "/api/stores/{name}"): ({"application/json": STORE_UPDATE}, failures(*AUTH, *JSON_BODY, 404, 409, 422)),
    ("PUT", "/api/stores/{name}/avatar"): ({"image/png": AVATAR, "image/jpeg": AVATAR},
                                          failures(*AUTH, 404, 413, 422)),
    ("POST", "/api/stores/{name}/apks"): ({"multipart/form-data": PUBLISH_MULTIPART, "application/json": PUBLISH_JSON},
                                         failures(*AUTH, *JSON_BODY, 404, 409, 422, 429, 503)),
    ("GET", "/api/stores/{name}/apks"): ({}, failures(*AUTH, 404)),
    ("DELETE", "/api/stores/{name}/apks/{package}/{version_code}"): ({}, failures(*AUTH, 404)),
    ("DELETE", "/api/stores/{name}/apps/{package}"): ({}, failures(*AUTH, 404)),
    ("GET", "/api/stores/{name}/apps/{package}/listing"): ({}, failures(*AUTH, 404)),
    ("PUT", "/api/stores/{name}/apps/{package}/listing"): ({"application/json": LISTING},
                                                          failures(*AUTH, *JSON_BODY, 404, 422)),
    ("GET", "/api/stores/{name}/categories"): ({}, failures(*AUTH, 404)),
    ("PUT", "/api/stores/{name}/categories"): ({"application/json": STORE_CATEGORIES},
                                              failures(*AUTH, *JSON_BODY, 404, 422)),
    ("POST", "/api/stores/{name}/apps/{package}/listing/images"): (
        {"multipart/form-data": LISTING_IMAGE_UPLOAD}, failures(*AUTH, 400, 404, 413, 422, 429, 503)),
    ("POST", "/api/tokens"): ({"application/json": TOKEN_CREATE}, failures(*AUTH, *JSON_BODY, 422)),
    ("GET", "/api/tokens"): ({}, failures(*AUTH)),
    ("DELETE", "/api/tokens/{token_id}"): ({}, failures(*AUTH, 404)),
    ("POST", "/api/apps"): ({"application/json": APP_REGISTER}, failures(*AUTH, *JSON_BODY, 409, 422)),
    ("GET", "/api/apps"): ({}, failures(*AUTH)),
    ("PATCH", "/api/apps/{platform}/{app_id}"): ({"application/json": APP_UPDATE}, failures(*AUTH, *JSON_BODY, 404, 422)),
    ("POST", "/api/accounts/password"): ({"application/json": PASSWORD_CHANGE}, failures(*AUTH, *JSON_BODY, 422, 429)),
    ("POST", "/api/accounts/email"): ({"application/json": EMAIL_CHANGE}, failures(*AUTH, *JSON_BODY, 409, 422, 429)),
    ("POST", "/api/accounts/delete"): ({"application/json": ACCOUNT_DELETE}, failures(*AUTH, *JSON_BODY, 409, 429)),
    ("GET", "/api/accounts/sessions"): ({}, failures(*AUTH)),
    ("GET", "/api/accounts/second-factor"): ({}, failures(*AUTH)),
    ("POST", "/api/accounts/second-factor/setup"): ({}, failures(*AUTH, 409)),
    ("POST", "/api/accounts/second-factor/enable"): ({"application/json": OTP}, failures(*AUTH, *JSON_BODY, 409, 422)),
    ("POST", "/api/accounts/second-factor/disable"): ({"application/json": OTP_WHEN_ON},
                                                     failures(*AUTH, *JSON_BODY, 422)),
    ("DELETE", "/api/accounts/sessions/{session_id}"): ({}, failures(*AUTH, 404)),
    ("GET", "/api/audit"): ({}, failures(*AUTH, 400)),
    ("GET", "/api/admin/developers"): ({}, failures(*AUTH, 400)),
    ("GET", "/api/admin/developers/{developer_id}"): ({}, failures(*AUTH, 404)),
    ("POST", "/api/admin/developers/{developer_id}/disable"): ({"application/json": REASON},
                                                              failures(*AUTH, *JSON_BODY, 404, 409, 422)),
    ("POST", "/api/admin/developers/{developer_id}/enable"): ({}, failures(*AUTH, 404)),
    ("POST", "/api/admin/developers/{developer_id}/operator"): ({}, failures(*AUTH, 404)),
    ("DELETE", "/api/admin/developers/{developer_id}/operator"): ({}, failures(*AUTH, 404, 409)),
    ("GET", "/api/admin/stores"): ({}, failures(*AUTH, 400)),
    ("GET", "/api/admin/stores/{name}"): ({}, failures(*AUTH, 404)),
    ("POST", "/api/admin/stores/{name}/suspend"): ({"application/json": REASON}, failures(*AUTH, *JSON_BODY, 404, 422)),
    ("POST", "/api/admin/stores/{name}/resume"): ({}, failures(*AUTH, 404)),
    ("POST", "/api/admin/stores/{name}/apps/{package}/takedown"): ({"application/json": TAKEDOWN},
                                                                  failures(*AUTH, *JSON_BODY, 404, 422)),
    ("GET", "/api/admin/audit"): ({}, failures(*AUTH, 400)),
    ("POST", "/api/stores/{name}/rename"): ({"application/json": STORE_RENAME},
                                           failures(*AUTH, *JSON_BODY, 404, 409, 422)),
    ("DELETE", "/api/stores/{name}"): ({}, failures(*AUTH, 404, 422)),
    ("POST", "/api/admin/stores/{name}/rename"): ({"application/json": STORE_RENAME},
                                                 failures(*AUTH, *JSON_BODY, 404, 409, 422)),
    ("POST", "/api/admin/stores/{name}/delete"): ({"application/json": STORE_DELETE},
                                                 failures(*AUTH, *JSON_BODY, 404, 422)),
    ("POST", "/api/admin/stores/{name}/moderation"): ({"application/json": MODERATION_SWITCH},
                                                     failures(*AUTH, *JSON_BODY, 404, 422)),
    ("GET", "/api/admin/moderation"): ({}, failures(*AUTH, 400)),
    ("POST", "/api/admin/moderation/{apk_id}/approve"): ({}, failures(*AUTH, 404)),
    ("POST", "/api/admin/moderation/{apk_id}/reject"): ({"application/json": REASON},
                                                       failures(*AUTH, *JSON_BODY, 404, 422)),
    ("GET", "/api/stores/{name}/webhooks"): ({}, failures(*AUTH, 404)),
    ("POST", "/api/stores/{name}/webhooks"): ({"application/json": WEBHOOK_CREATE},
                                             failures(*AUTH, *JSON_BODY, 404, 409, 422)),
    ("GET", "/api/stores/{name}/webhooks/{hook}"): ({}, failures(*AUTH, 404)),
    ("PATCH", "/api/stores/{name}/webhooks/{hook}"): ({"application/json": WEBHOOK_UPDATE},
                                                     failures(*AUTH, *JSON_BODY, 404, 422)),
    ("DELETE", "/api/stores/{name}/webhooks/{hook}"): ({}, failures(*AUTH, 404)),
    ("POST", "/api/stores/{name}/webhooks/{hook}/ping"): ({}, failures(*AUTH, 404)),
    ("GET", "/api/stores/{name}/webhooks/{hook}/deliveries"): ({}, failures(*AUTH, 400, 404)),
    ("POST", "/api/stores/{name}/webhooks/{hook}/deliveries/{delivery}/redeliver"): ({}, failures(*AUTH, 404)),
}

# Answers that are CSV when asked with format=csv (and the JSON envelope otherwise).
CSV_EXPORTS = {("GET", "/api/audit"), ("GET", "/api/admin/audit")}

# Files and indexes: their own conditional and partial answers.
_RENAMED = "An old name of a renamed store: Location is the same address under its new name"
FILES: dict[tuple[str, str], dict[int, str]] = {
    ("GET", "/repo/{store_name}/info.xml"): {410: "The store is suspended (IARG-4)", 301: _RENAMED, 304: "If-None-Match matched", 401: "A private store without its credentials",
                                             404: "No such store (IARG-1)"},
    ("GET", "/repo/{store_name}/latest.xml"): {410: "The store is suspended (IARG-4)", 301: _RENAMED, 304: "If-None-Match matched", 401: "A private store without its credentials",
                                               404: "No such store (IARG-1)"},
    ("GET", "/repo/{store_name}/top.xml"): {410: "The store is suspended (IARG-4)", 301: _RENAMED, 304: "If-None-Match matched", 401: "A private store without its credentials",
                                            404: "No such store (IARG-1)"},
    ("GET", "/repo/{store_name}/apk/{file_name}"): {410: "The store is suspended (IARG-4)", 301: _RENAMED, 206: "The Range asked for", 304: "If-None-Match matched",
                                                    401: "A private store without its credentials",
                                                    404: "No such store or file", 416: "The Range is outside the file"},
    ("GET", "/repo/{store_name}/icons/{file_name}"): {410: "The store is suspended (IARG-4)", 301: _RENAMED, 206: "The Range asked for", 304: "If-None-Match matched",
                                                      401: "A private store without its credentials",
                                                      404: "No such store or file", 416: "The Range is outside the file"},
    ("GET", "/repo/{store_name}/images/{package}/{rest}"): {410: "The store is suspended (IARG-4)", 301: _RENAMED, 206: "The Range asked for",
                                                            304: "If-None-Match matched",
                                                            401: "A private store without its credentials",
                                                            404: "No such store or image",
                                                            416: "The Range is outside the file"},
    ("GET", "/repo/{store_name}/avatar"): {410: "The store is suspended (IARG-4)", 301: _RENAMED, 206: "The Range asked for", 304: "If-None-Match matched",
                                           401: "A private store without its credentials",
                                           404: "No such store or avatar", 416: "The Range is outside the file"},
    ("GET", "/fdroid/{store_name}/repo"): {410: "The store is suspended (IARG-4)", 301: _RENAMED, 404: "No such public store"},
    ("GET", "/fdroid/{store_name}/repo/{rest}"): {410: "The store is suspended (IARG-4)", 301: _RENAMED, 206: "The Range asked for", 304: "If-None-Match matched",
                                                  404: "No such public store or file",
                                                  416: "The Range is outside the file"},
    ("GET", "/healthz"): {503: "Starting: the catalog is not loaded yet (SYS-3)"},
    ("GET", "/metrics"): {401: "APKDEPOT_METRICS_TOKEN is set and the request does not carry it"},
    ("GET", "/api/mng/apps"): {400: "Bad limit or offset", 401: "Authorization token is malformed",
                               403: "The API token lacks the apps:read scope (TOKEN-5)",
                               404: "No apps", 429: "Rate limited (per minute and per day)"},
}

# Query parameters a route reads itself (not from its signature), and the exact
# schemas of its answers by status.
_APP_LIST_ERROR = {"type": "object", "required": ["errors"], "properties": {"errors": {"type": "array", "items": {
    "type": "object", "required": ["status", "title", "code", "detail"],
    "properties": {"status": {"type": "string"}, "title": {"type": "string"}, "code": {"type": "string"},
                   "detail": {"type": "string"}}}}}}
def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


_PAGE_AFTER = _query("after", "Continue after this id (the last id of the previous page)",
                     {"type": "integer", "minimum": 0, "maximum": 2**62})
_FIND = _query("q", "Text the address, name (or store name) contains", {"type": "string", "maxLength": 200})
_AUDIT_QUERY = [
    _query("limit", "Events per page, 1 to 500 (default 100)", {"type": "integer", "minimum": 1, "maximum": 500}),
    _query("before", "Only events older than this id (next_before of the previous page)",
           {"type": "integer", "minimum": 1, "maximum": 2**62}),
    _query("action", "Only actions starting with this (e.g. store.)", {"type": "string", "maxLength": 64}),
    _query("format", "json (pages, the default) or csv (all of it)", {"enum": ["json", "csv"]}),
]
QUERY_PARAMETERS: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("GET", "/api/admin/developers"): [_FIND, _PAGE_AFTER, _query("limit", "At most this many (1 to 200, default 50)",
                                                                  {"type": "integer", "minimum": 1, "maximum": 200})],
    ("GET", "/api/admin/stores"): [_FIND, _PAGE_AFTER, _query("limit", "At most this many (1 to 200, default 50)",
                                                              {"type": "integer", "minimum": 1, "maximum": 200})],
    ("GET", "/api/audit"): _AUDIT_QUERY,
    ("GET", "/api/admin/moderation"): [
        _PAGE_AFTER, _query("limit", "At most this many (1 to 200, default 50)",
                            {"type": "integer", "minimum": 1, "maximum": 200}),
        _query("store", "Only this store's", {"type": "string", "maxLength": 60})],
    ("DELETE", "/api/stores/{name}"): [{"name": "confirm", "in": "query", "required": True,
                                        "description": "The store's name again (REPO-8 otherwise)",
                                        "schema": {"type": "string", "maxLength": STORE_NAME_MAX}}],
    ("GET", "/api/stores/{name}/webhooks/{hook}/deliveries"): [
        _query("limit", "Deliveries per page, 1 to 200 (default 50)", {"type": "integer", "minimum": 1, "maximum": 200}),
        _query("before", "Only deliveries older than this id (next_before of the previous page)",
               {"type": "integer", "minimum": 1, "maximum": 2**62})],
    ("GET", "/api/admin/audit"): _AUDIT_QUERY,
    ("GET", "/api/mng/apps"): [
        {"name": "limit", "in": "query", "required": False,
         "description": "Records per page, 1 to 1,000 (default 1,000)",
         "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
        {"name": "offset", "in": "query", "required": False,
         "description": "The first record to return, counting from 0 (default 0)",
         "schema": {"type": "integer", "minimum": 0, "maximum": 10**12}},
    ],
}
RESPONSE_SCHEMAS: dict[tuple[str, str], dict[int, dict[str, Any]]] = {
    ("GET", "/api/mng/apps"): {
        200: {"type": "object", "required": ["data", "meta", "links"], "properties": {
            "data": {"type": "array", "maxItems": 1000, "items": {
                "type": "object", "required": ["id", "type", "attributes"], "properties": {
                    "id": {"type": "string", "description": "id123456789 or a package name"},
                    "type": {"const": "app"},
                    "attributes": {"type": "object", "required": ["name", "platform", "currency", "time_zone"],
                                   "properties": {"name": {"type": "string"},
                                                  "platform": {"enum": ["android", "ios"]},
                                                  "currency": {"type": "string"}, "time_zone": {"type": "string"},
                                                  "enable_retargetting": {"type": "boolean"}}}}}},
            "meta": {"type": "object", "required": ["total_items"],
                     "properties": {"total_items": {"type": "integer", "minimum": 0}}},
            "links": {"type": "object", "required": ["self"],
                      "properties": {k: {"type": "string", "format": "uri"} for k in ("prev", "self", "next")}}}},
        400: _APP_LIST_ERROR, 401: _APP_LIST_ERROR, 404: _APP_LIST_ERROR, 429: _APP_LIST_ERROR,
    },
}

# Successes besides the one the route declares.
ALSO_SUCCEEDS: dict[tuple[str, str], dict[int, str]] = {
    ("POST", "/api/stores/{name}/apks"): {200: "This exact file was already published there (created: false)"},
}

# What the files' successful answers are.
FILE_MEDIA: dict[str, tuple[str, ...]] = {
    "/repo/{store_name}/info.xml": ("application/xml",),
    "/repo/{store_name}/latest.xml": ("application/xml",),
    "/repo/{store_name}/top.xml": ("application/xml",),
    "/repo/{store_name}/apk/{file_name}": ("application/vnd.android.package-archive",),
    "/repo/{store_name}/icons/{file_name}": ("image/png",),
    "/repo/{store_name}/avatar": ("image/png", "image/jpeg"),
    "/repo/{store_name}/images/{package}/{rest}": ("image/png", "image/jpeg", "image/webp"),
    "/fdroid/{store_name}/repo": ("text/html",),
    "/fdroid/{store_name}/repo/{rest}": ("application/json", "application/java-archive", "application/xml",
                                         "application/vnd.android.package-archive", "image/png", "image/jpeg",
                                         "image/webp", "text/html"),
}
# Error bodies of those paths: XML envelopes for files, JSON elsewhere.
ERROR_MEDIA: dict[str, str] = {"/healthz": "application/json", "/metrics": "text/plain",
                               "/api/mng/apps": "application/json"}
