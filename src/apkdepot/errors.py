"""Every error code ApkDepot answers with, in one place.

Codes follow the Aptoide ``FAMILY-N`` style and never change with the language;
messages are English message ids translated through the Babel catalog. The
served documentation lists this catalogue as it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apkdepot.i18n import N_, gettext


@dataclass(frozen=True)
class ErrorSpec:
    code: str
    message: str  # English message id; may hold {placeholders}
    http_status: int  # for the JSON API; the web services answer 200 (see PROTOCOL §1)
    description: str = ""  # for the documentation, when the message alone is not enough


CATALOGUE: dict[str, ErrorSpec] = {}


def _define(code: str, message: str, http_status: int = 400, description: str = "") -> ErrorSpec:
    if code in CATALOGUE:
        raise ValueError(f"error code {code} defined twice")
    spec = ErrorSpec(code, message, http_status, description)
    CATALOGUE[code] = spec
    return spec


# --- Web-service arguments (Aptoide codes) ---------------------------------
MISSING_REPO = _define("MARG-1", N_("Missing repo parameter"))
MISSING_APK_VERSION = _define("MARG-3", N_("Missing app version parameter"))
MISSING_APK = _define("MARG-5", N_("Missing apk parameter"))
MISSING_PACKAGE = _define("MARG-7", N_("Missing package parameter"))
MISSING_LIMIT = _define("MARG-9", N_("Missing limit parameter"))
MISSING_OFFSET = _define("MARG-10", N_("Missing offset parameter"))
MISSING_HASH = _define("MARG-113", N_("Missing hash parameter"))
MISSING_TOKEN = _define("MARG-200", N_("Missing token parameter"), 401)
MISSING_USER = _define("MARG-201", N_("Missing user parameter"))
MISSING_PASSHASH = _define("MARG-202", N_("Missing passhash parameter"))
MISSING_SEARCH = _define("MARG-203", N_("Missing search parameter"))
MISSING_IDENTIFIER = _define("MARG-204", N_("Missing identif parameter"))
INVALID_REPO = _define("IARG-1", N_("Invalid repo: {repo}"), 404)
INVALID_TOKEN = _define("IARG-2", N_("Invalid token"), 401)
INVALID_IDENTIFIER = _define("IARG-3", N_("Invalid identifier"))
INVALID_MODE = _define("IARG-100", N_("Invalid mode parameter: use 'xml' or 'json'"))
INVALID_ENCODING = _define("IARG-101", N_("Parameters must be valid UTF-8"))
INVALID_VALUE = _define("IARG-102", N_("Invalid value for parameter {name}"))
MALFORMED_BODY = _define("IARG-103", N_("Malformed request body"))
VALUE_TOO_LONG = _define("IARG-104", N_("Parameter {name} is too long"))
INVALID_NUMBER = _define("IARG-105", N_("Parameter {name} must be a whole number from {min} to {max}"))
TOO_MANY_VALUES = _define("IARG-106", N_("Too many values in parameter {name} (at most {max})"))
JSON_MEDIA_TYPE = _define("IARG-108", N_("Send the request body as JSON (Content-Type: application/json)."), 415)
REPO_HASH_MISMATCH = _define("IARG-112", N_("Number of repos mismatch the number of given hashes."))
STORE_SUSPENDED = _define("IARG-4", N_("This store is suspended: {repo}"), 410,
                          description=N_("An operator of this server suspended the store: it answers nothing until it "
                                         "is resumed (info.xml, F-Droid files and APKs: HTTP 410)."))
UNKNOWN_WEBSERVICE = _define("WS-1", N_("Unknown web service: {name}"), 404)
METHOD_NOT_ALLOWED = _define("WS-2", N_("Method not allowed"), 405)
BODY_TOO_LARGE = _define("WS-3", N_("Request body too large"), 413)
TOO_MANY_REQUESTS = _define("RATE-1", N_("Too many requests, try again in {retry_after} seconds"), 429)
SERVER_ERROR = _define("SYS-1", N_("Internal server error"), 500)
NOT_FOUND = _define("SYS-2", N_("Not found"), 404)
STARTING = _define("SYS-3", N_("The server is starting; try again in a moment."), 503)

# --- Stores -------------------------------------------------------------------
NOT_YOUR_STORE = _define("REPO-1", N_("This store is not yours: {repo}"), 403)
STORE_NAME_TAKEN = _define("REPO-2", N_("This store name is already taken."), 409)
STORE_NAME_INVALID = _define("REPO-3", N_("Use only letters, numbers and/or dashes. No spaces please!"), 422,
                             description=N_("Store names: letters, numbers and dashes, at most 50 characters."))
STORE_FIELD_INVALID = _define("REPO-4", N_("Invalid value for {name}"), 422)
STORE_CREDENTIALS_NEEDED = _define("REPO-5", N_("A private store needs a user name and a password of at least 8 characters."), 422)
STORE_NO_CREDENTIALS_YET = _define("REPO-7", N_("This store has no user name and password yet: give basic_user and basic_password to make it private."), 409)
STORE_DELETE_CONFIRM = _define("REPO-8", N_("To delete the store, type its name: {repo}"), 422)
AVATAR_INVALID = _define("REPO-6", N_("The avatar must be a PNG or JPEG image of at most 1 MB."), 422)

# --- v7 stores and apps ------------------------------------------------------------
V7_NO_STORE = _define("STORE-1", N_("Store doesn't exist: {store}"), 404)
V7_PRIVATE = _define("STORE-3", N_("This store is private: give store_user and store_pass_sha1."), 401)
V7_BAD_STORE_CREDENTIALS = _define("STORE-4", N_("Wrong store credentials."), 401)
V7_SUSPENDED = _define("STORE-7", N_("This store is suspended."), 403,
                       description=N_("An operator of this server suspended the store; its owner sees why."))
V7_NO_APP = _define("APP-1", N_("No such app"), 404)
V7_MISSING_STORE = _define("MARG-205", N_("Missing store_name or store_id parameter"))
V7_MISSING_APP = _define("MARG-206", N_("Missing package_name, app_id or apk_md5sum parameter"))
V7_MISSING_APKS_DATA = _define("MARG-207", N_("Missing apks_data parameter"))
V7_MISSING_QUERY = _define("MARG-208", N_("Missing query parameter"))

# --- App-owner records and API tokens ------------------------------------------------
APPS_PLATFORM = _define("APPS-1", N_("Platform must be 'android' or 'ios'."), 422)
APPS_ID = _define("APPS-2", N_("Invalid app id: use a package name for Android, and 'id' plus the App Store number or a bundle id for iOS."), 422)
APPS_CURRENCY = _define("APPS-3", N_("Invalid currency: use an ISO 4217 code such as USD."), 422)
APPS_TIME_ZONE = _define("APPS-4", N_("Invalid time zone: use an IANA name such as UTC or Europe/Lisbon."), 422)
APPS_NAME = _define("APPS-5", N_("Please insert a name"), 422)
APPS_TAKEN = _define("APPS-6", N_("This app is already registered."), 409)
APPS_NOT_FOUND = _define("APPS-7", N_("No such app"), 404)
APPS_RETARGETTING = _define("APPS-8", N_("enable_retargetting must be true or false."), 422)
TOKEN_NOT_FOUND = _define("TOKEN-1", N_("No such API token"), 404)
TOKEN_NAME = _define("TOKEN-2", N_("A token name has at most 100 characters."), 422)
TOKEN_SCOPES = _define("TOKEN-3", N_("Scopes must be a list of: {scopes}"), 422)
TOKEN_EXPIRY = _define("TOKEN-4", N_("expires_in_days must be a whole number from 1 to 3650"), 422)
TOKEN_SCOPE_MISSING = _define("TOKEN-5", N_("This API token may not do this: it needs the scope {scope}."), 403,
                              description=N_("An API token works only where its scopes allow; the dev token and a "
                                             "portal session may do everything."))
MNG_MALFORMED = _define("MNG-1", N_("Authorization token is malformed"), 401)
MNG_LIMIT = _define("MNG-2", N_("limit must be a whole number from 1 to 1000"), 400)
MNG_OFFSET = _define("MNG-3", N_("offset must be a whole number of 0 or more"), 400)
MNG_NO_APPS = _define("MNG-4", N_("No apps found"), 404)

# --- APKs ---------------------------------------------------------------------
NO_SUCH_APK = _define("APK-1", N_("No such APK"), 404)
APK_NOT_ZIP = _define("APK-2", N_("The file is not a valid APK: it is not a ZIP archive or it is damaged."), 422)
APK_BAD_MANIFEST = _define("APK-3", N_("The APK's AndroidManifest.xml is missing or cannot be read."), 422)
APK_UNSIGNED = _define("APK-4", N_("The APK is not signed."), 422)
APK_MD5_UNKNOWN = _define("APK-5", N_("No APK with this MD5 is known: send the file itself."), 404,
                          description=N_("Upload de-duplication: the client sent apk_md5sum alone and must re-send with the file."))
APK_TOO_LARGE = _define("APK-6", N_("The APK is larger than the limit of {limit} MB."), 413)
APK_ZIP_BOMB = _define("APK-7", N_("The APK inflates to more than the allowed size."), 422)
APK_BAD_PACKAGE = _define("APK-8", N_("Invalid package name: {package}"), 422)
APK_VERSION_CONFLICT = _define("APK-9", N_("Version {version_code} of {package} is already published with different contents."), 409)
APK_SIGNER_MISMATCH = _define("APK-10", N_("This APK is signed with a different key than earlier versions of {package}."), 409)
APK_BAD_SIGNATURE = _define("APK-11", N_("The APK's signature does not verify."), 422)
APK_TOO_COMPLEX = _define("APK-12", N_("The APK could not be inspected within the time and memory limits."), 422)
APK_BAD_MD5 = _define("APK-13", N_("Invalid apk_md5sum: give 32 hexadecimal digits."), 400)
APK_UNSAFE_ZIP = _define("APK-14", N_("The APK's ZIP structure is unsafe: data before the first entry, duplicate entry names or names that are not UTF-8."), 422,
                         description=N_("Refused because Android and other readers could see different files in it (Janus, Master Key)."))
APK_TOO_BIG_TO_INSPECT = _define("APK-15", N_("The APK needs more memory to inspect than the server allows."), 422)
APK_INSPECTOR_BUSY = _define("APK-16", N_("The server is busy inspecting other uploads; try again in {retry_after} seconds."), 503)
APK_V1_ONLY = _define("APK-17", N_("The APK is signed with the v1 (JAR) scheme only; its minSdkVersion is 24 or higher, so sign it with APK Signature Scheme v2 or later."), 422)
APK_NO_VERSION_CODE = _define("APK-18", N_("The APK's manifest has no valid versionCode (a whole number from 1 to 2147483647)."), 422)

# --- Store listings ----------------------------------------------------------
LISTING_FIELD_INVALID = _define("LIST-1", N_("Invalid value for {name}"), 422)
LISTING_FIELD_TOO_LONG = _define("LIST-2", N_("{name} is too long (at most {max} characters)"), 422)
LISTING_FIELD_UNKNOWN = _define("LIST-3", N_("Unknown listing field: {name}"), 422)
LISTING_LOCALE_INVALID = _define("LIST-4", N_("Invalid language tag: {locale} (use a BCP 47 tag such as en-US or pt-BR)"), 422)
LISTING_LOCALE_TWICE = _define("LIST-5", N_("The language {locale} is given twice"), 422)
LISTING_VERSION_INVALID = _define("LIST-6", N_("Invalid version code for release notes: {version_code}"), 422)
LISTING_TOO_MANY = _define("LIST-7", N_("Too many entries in {name} (at most {max})"), 422)
NO_SUCH_APP = _define("LIST-8", N_("No app {package} is published in this store"), 404)
LISTING_IMAGE_REFUSED = _define("LIST-9", N_("The image cannot be used: {detail}"), 422)
LISTING_IMAGE_UNKNOWN = _define("LIST-10", N_("No image {image} was uploaded for this app"), 422)
LISTING_IMAGE_TOO_LARGE = _define("LIST-11", N_("The image is larger than {limit} MB."), 413)
LISTING_CATEGORY_UNKNOWN = _define("LIST-13", N_("This store has no category {category}; its categories are: {names}"), 422)
LISTING_IMAGE_MISSING = _define("LIST-12", N_("Send the image as the multipart file field \"image\"."), 400)

# --- Authentication ----------------------------------------------------------
BAD_CREDENTIALS = _define("AUTH-1", N_("Invalid user credentials"), 401)
EMAIL_NOT_CONFIRMED = _define("AUTH-2", N_("Please confirm your email address first"), 403)
NOT_AUTHENTICATED = _define("AUTH-3", N_("Authentication required"), 401)
CSRF_FAILED = _define("AUTH-4", N_("Missing or invalid CSRF token"), 403)
# OAuth 2 log-in (oauth2Authentication). The Aptoide apps compare these English
# descriptions literally to decide to refresh a token, so "error_description"
# always carries the English text; the errors list is localized as usual.
OAUTH_BAD_PASSWORD = _define("AUTH-5", N_("Invalid username and password combination"), 400)
OAUTH_BAD_REFRESH = _define("AUTH-6", N_("Invalid refresh token"), 400)
OAUTH_BAD_GRANT_TYPE = _define("AUTH-7", N_("Grant type not supported: use password or refresh_token"), 400)
ACCESS_TOKEN_INVALID = _define("AUTH-8", N_("The access token provided is invalid"), 401)
ACCESS_TOKEN_EXPIRED = _define("AUTH-9", N_("The access token provided has expired"), 401)
WRONG_CURRENT_PASSWORD = _define("AUTH-11", N_("That is not your current password."), 403)
SESSION_NOT_FOUND = _define("AUTH-12", N_("No such session."), 404)
SECOND_FACTOR_NEEDED = _define("AUTH-13", N_("Enter the 6-digit code from your authenticator app, or a recovery code."),
                               401, description=N_("The account has the second factor on: a password log-in also "
                                                   "needs its code (field otp). Apps that cannot send one use the dev "
                                                   "token."))
SECOND_FACTOR_WRONG = _define("AUTH-14", N_("That code is not right, or it was used already."), 401)
SECOND_FACTOR_ON = _define("AUTH-15", N_("The second factor is already on."), 409)
SECOND_FACTOR_NOT_STARTED = _define("AUTH-16", N_("Start the set-up first: the code must come from the key it shows."),
                                    409)
OPERATOR_CANNOT_LEAVE = _define("AUTH-17", N_("An operator's account cannot be deleted: another operator must take "
                                              "the role away first."), 409)
ACCOUNT_DISABLED = _define("AUTH-10", N_("This account is disabled. Write to the operators of this server."), 403,
                           description=N_("An operator disabled the account: its password, sessions, dev token and "
                                          "API tokens stop working at once."))
# The OAuth 2 "error" name each of them is answered with (RFC 6749 §5.2, RFC 6750 §3.1).
OAUTH_ERROR_NAMES = {"AUTH-5": "invalid_grant", "AUTH-6": "invalid_grant", "AUTH-7": "unsupported_grant_type",
                     "AUTH-8": "invalid_token", "AUTH-9": "invalid_token", "AUTH-2": "invalid_grant",
                     "RATE-1": "slow_down"}

# --- Operators (admin) ---------------------------------------------------------
NOT_AN_OPERATOR = _define("ADMIN-1", N_("Only an operator of this server can do this."), 403)
ADMIN_NO_DEVELOPER = _define("ADMIN-2", N_("No such developer: {developer}"), 404)
ADMIN_NO_STORE = _define("ADMIN-3", N_("No such store: {store}"), 404)
ADMIN_REASON = _define("ADMIN-4", N_("Give a reason of at most 500 characters: the owner is shown it."), 422)
OPERATOR_NEEDS_SECOND_FACTOR = _define("ADMIN-6", N_("Turn on the second factor of your account first: operators "
                                                      "need it here."), 403)
ADMIN_SELF = _define("ADMIN-5", N_("Operators cannot disable their own account or take away their own role."), 409)

# --- Moderation ----------------------------------------------------------------
MODERATION_NOT_WAITING = _define("MODERATION-1", N_("No such version waiting for review."), 404)
MODERATION_SWITCH = _define("MODERATION-2", N_("enabled must be true or false."), 422)

# --- Webhooks ----------------------------------------------------------------
WEBHOOK_URL = _define("WEBHOOK-1", N_("Give the webhook's address as an https:// URL of at most 500 characters, "
                                      "without user name or password."), 422)
WEBHOOK_EVENTS = _define("WEBHOOK-2", N_("Events must be a non-empty list of: {events}"), 422)
WEBHOOK_NOT_FOUND = _define("WEBHOOK-3", N_("No such webhook in this store."), 404)
WEBHOOK_LIMIT = _define("WEBHOOK-4", N_("A store has at most {limit} webhooks."), 409)
WEBHOOK_NEW_SECRET = _define("WEBHOOK-6", N_("new_secret must be true or false."), 422)
WEBHOOK_DELIVERY_NOT_FOUND = _define("WEBHOOK-5", N_("No such finished delivery of this webhook."), 404,
                                     description=N_("Only a delivered or failed delivery can be sent again; a pending "
                                                    "one is still being tried."))

# --- One-time links (confirmation, password reset) ---------------------------
LINK_INVALID = _define("LINK-1", N_("This link is invalid."), 404)
LINK_USED = _define("LINK-2", N_("This link has already been used."), 410)
LINK_EXPIRED = _define("LINK-3", N_("This link has expired."), 410)

# --- Sign-up form (the Aptoide developer sign-up wording, en and pt-BR) ------
REG_EMAIL = _define("REG-1", N_("Please insert an email address"), 422)
REG_EMAIL_TAKEN = _define("REG-2", N_("This email address is already registered."), 409)
REG_PASSWORD = _define(
    "REG-3",
    N_(
        "Password must:\n- have 8 characters minimum\n- have one letter\n"
        "- have one number OR one special character (!@#$%*)"
    ),
    422,
)
REG_URL = _define("REG-4", N_("This url is invalid, please enter a valid one."), 422)
REG_STORE_NAME = _define("REG-5", N_("Use only letters, numbers and/or dashes. No spaces please!"), 422)
REG_NAME = _define("REG-6", N_("Please insert a name"), 422)
REG_BUSINESS_NAME = _define("REG-7", N_("Business Name should be smaller than 40 characters."), 422)
REG_ADDRESS = _define("REG-8", N_("Please insert an address."), 422)
REG_COMPANY = _define("REG-9", N_("Please insert a company name."), 422)
REG_COUNTRY = _define("REG-10", N_("Please insert a valid country."), 422)
REG_PHONE = _define("REG-11", N_("Please insert a valid phone number."), 422)
REG_CITY = _define("REG-12", N_("Please insert a city."), 422)
REG_ZIP = _define("REG-13", N_("Please insert a zip/postal code."), 422)
REG_TAX_ID = _define("REG-14", N_("Please insert a tax ID / VAT."), 422)
REG_TERMS = _define("REG-15", N_("You must agree with terms of use."), 422)
REG_ACCOUNT_TYPE = _define("REG-16", N_("You must select one option"), 422)
REG_BUSINESS_NAME_MISSING = _define("REG-17", N_("Please insert a business name."), 422)


@dataclass(frozen=True)
class Problem:
    """One error occurrence: a catalogue entry, its message arguments and,
    for form input, the field it belongs to."""

    spec: ErrorSpec
    params: dict[str, Any] = field(default_factory=dict)
    field: str | None = None

    @property
    def code(self) -> str:
        return self.spec.code

    def message(self, locale: str) -> str:
        text = gettext(locale, self.spec.message)
        return text.format(**self.params) if self.params else text


def problem(spec: ErrorSpec, field: str | None = None, **params: Any) -> Problem:
    return Problem(spec, params, field)


class Failure(Exception):
    """Raised with every problem found; rendered in the caller's envelope."""

    def __init__(self, problems: list[Problem] | Problem, http_status: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        if not self.problems:
            raise ValueError("a Failure needs at least one problem")
        self.http_status = http_status or max(p.spec.http_status for p in self.problems)
        self.headers = headers or {}
        super().__init__(", ".join(p.code for p in self.problems))
