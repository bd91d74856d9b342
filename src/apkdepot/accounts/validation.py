"""The Aptoide developer sign-up rules, as pure functions: form in, problems out.
Every failing field is reported, in form order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

import phonenumbers
from babel import Locale

from apkdepot import errors
from apkdepot.errors import Problem, problem

ACCOUNT_TYPES = ("personal", "business")
BUSINESS_NAME_MAX = 39  # "should be smaller than 40 characters"
EMAIL_MAX = 254
PASSWORD_MIN = 8
PASSWORD_MAX = 256
PASSWORD_SPECIALS = "!@#$%*"
STORE_NAME_MAX = 50

EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+\Z")
STORE_NAME_RE = re.compile(r"^[A-Za-z0-9-]+\Z")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+\Z|^https?://localhost(:[0-9]+)?(/\S*)?\Z", re.IGNORECASE)

# CLDR's territories include codes that are not ISO 3166-1 assignments
# (exceptional reservations, groupings, user-assigned codes): left out.
_NOT_ISO_3166_1 = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"})
COUNTRY_CODES = frozenset(
    code for code in Locale("en").territories
    if len(code) == 2 and code.isalpha() and code not in _NOT_ISO_3166_1
)

TRUE_WORDS = ("1", "true", "on", "yes")


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def valid_email(value: str) -> bool:
    return len(value) <= EMAIL_MAX and bool(EMAIL_RE.match(value))


def valid_password(value: str) -> bool:
    return (
        PASSWORD_MIN <= len(value) <= PASSWORD_MAX
        and any(c.isalpha() for c in value)
        and any(c.isdigit() or c in PASSWORD_SPECIALS for c in value)
    )


def valid_store_name(value: str) -> bool:
    return 0 < len(value) <= STORE_NAME_MAX and bool(STORE_NAME_RE.match(value))


def valid_url(value: str) -> bool:
    return len(value) <= 500 and bool(URL_RE.match(value))


def valid_phone(value: str, country: str | None) -> bool:
    if not value or len(value) > 32:
        return False
    try:
        number = phonenumbers.parse(value, country if country in COUNTRY_CODES else None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def normalise_phone(value: str, country: str | None) -> str:
    number = phonenumbers.parse(value, country if country in COUNTRY_CODES else None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def accepted(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in TRUE_WORDS


@dataclass(frozen=True)
class Registration:
    email: str
    password: str
    name: str
    account_type: str
    business_name: str | None = None
    company_name: str | None = None
    address: str | None = None
    city: str | None = None
    zip_code: str | None = None
    country: str | None = None
    phone: str | None = None
    tax_id: str | None = None
    website: str | None = None


def check_registration(form: Mapping[str, Any]) -> tuple[Registration | None, list[Problem]]:
    """Validates a sign-up form. ``form`` values that are not strings count as
    missing (wrong JSON types are reported at their field, never raised)."""
    found: list[Problem] = []
    email = _text(form, "email").lower()
    password = form.get("password") if isinstance(form.get("password"), str) else ""
    name = _text(form, "name")
    account_type = _text(form, "account_type").lower()

    if not valid_email(email):
        found.append(problem(errors.REG_EMAIL, "email"))
    if not valid_password(password):
        found.append(problem(errors.REG_PASSWORD, "password"))
    if not name or len(name) > 200:
        found.append(problem(errors.REG_NAME, "name"))
    website = _text(form, "website")
    if website and not valid_url(website):
        found.append(problem(errors.REG_URL, "website"))
    if account_type not in ACCOUNT_TYPES:
        found.append(problem(errors.REG_ACCOUNT_TYPE, "account_type"))

    business: dict[str, str | None] = {}
    if account_type == "business":
        business_name = _text(form, "business_name")
        if not business_name:
            found.append(problem(errors.REG_BUSINESS_NAME_MISSING, "business_name"))
        elif len(business_name) > BUSINESS_NAME_MAX:
            found.append(problem(errors.REG_BUSINESS_NAME, "business_name"))
        required = (
            ("company_name", errors.REG_COMPANY, 200),
            ("address", errors.REG_ADDRESS, 500),
            ("city", errors.REG_CITY, 200),
            ("zip_code", errors.REG_ZIP, 32),
        )
        values = {"business_name": business_name}
        for field_name, spec, limit in required:
            value = _text(form, field_name)
            if not value or len(value) > limit:
                found.append(problem(spec, field_name))
            values[field_name] = value
        country = _text(form, "country").upper()
        if country not in COUNTRY_CODES:
            found.append(problem(errors.REG_COUNTRY, "country"))
        phone = _text(form, "phone")
        if not valid_phone(phone, country):
            found.append(problem(errors.REG_PHONE, "phone"))
        tax_id = _text(form, "tax_id")
        if not tax_id or len(tax_id) > 64:
            found.append(problem(errors.REG_TAX_ID, "tax_id"))
        business = {**values, "country": country, "tax_id": tax_id,
                    "phone": normalise_phone(phone, country) if valid_phone(phone, country) else None}

    if not accepted(form.get("accept_terms")):
        found.append(problem(errors.REG_TERMS, "accept_terms"))

    if found:
        return None, found
    return Registration(email=email, password=password, name=name, account_type=account_type,
                        website=website or None, **business), []
