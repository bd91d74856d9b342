"""Every Aptoide sign-up rule, valid and invalid, in English and Portuguese."""

from __future__ import annotations

import pytest

from apkdepot.accounts.validation import check_registration, valid_password
from tests.helpers import business_form, personal_form

EN_PASSWORD = ("Password must:\n- have 8 characters minimum\n- have one letter\n"
               "- have one number OR one special character (!@#$%*)")
PT_PASSWORD = ("A senha deve conter:\n- o mínimo de 8 caracteres\n- ter uma letra\n"
               "- ter um número OU um caractere especial (!@#$%*)")


def codes(form):
    _, found = check_registration(form)
    return [(p.field, p.code) for p in found]


def test_valid_personal_and_business_forms_pass():
    assert codes(personal_form()) == []
    assert codes(business_form()) == []


@pytest.mark.parametrize("password,ok", [
    ("abcdefg1", True),          # letter + number
    ("abcdefg!", True),          # letter + special
    ("abcdefg*", True),
    ("abcdefgh", False),         # no number, no special
    ("12345678", False),         # no letter
    ("!@#$%*!@", False),         # no letter
    ("abc1", False),             # too short
    ("abcdef1", False),          # 7 characters
    ("abcdefg^", False),         # ^ is not one of !@#$%*
    ("áéíóúçã1", True),          # letters beyond ASCII count as letters
])
def test_password_rule(password, ok):
    assert valid_password(password) is ok
    assert (("password", "REG-3") not in codes(personal_form(password=password))) is ok


@pytest.mark.parametrize("field,value,code", [
    ("email", "", "REG-1"),
    ("email", "not-an-email", "REG-1"),
    ("email", "a@b", "REG-1"),
    ("email", "x" * 250 + "@example.com", "REG-1"),
    ("name", "", "REG-6"),
    ("name", "   ", "REG-6"),
    ("website", "ftp://example.com", "REG-4"),
    ("website", "not a url", "REG-4"),
    ("account_type", "", "REG-16"),
    ("account_type", "corporate", "REG-16"),
    ("accept_terms", False, "REG-15"),
    ("accept_terms", "no", "REG-15"),
])
def test_personal_rules(field, value, code):
    assert (field, code) in codes(personal_form(**{field: value}))


@pytest.mark.parametrize("field,value,code", [
    ("business_name", "", "REG-17"),
    ("business_name", "x" * 40, "REG-7"),
    ("company_name", "", "REG-9"),
    ("address", "", "REG-8"),
    ("city", "", "REG-12"),
    ("zip_code", "", "REG-13"),
    ("country", "", "REG-10"),
    ("country", "XX", "REG-10"),
    ("country", "PRT", "REG-10"),
    ("phone", "", "REG-11"),
    ("phone", "12", "REG-11"),
    ("phone", "+351 000", "REG-11"),
    ("tax_id", "", "REG-14"),
])
def test_business_rules(field, value, code):
    assert codes(business_form(**{field: value})) == [(field, code)]


def test_business_name_of_39_characters_is_accepted():
    assert codes(business_form(business_name="x" * 39)) == []


def test_phone_is_read_in_the_context_of_the_country():
    assert codes(business_form(country="BR", phone="(11) 91234-5678")) == []
    reg, _ = check_registration(business_form(country="BR", phone="(11) 91234-5678"))
    assert reg.phone == "+5511912345678"


def test_business_fields_are_not_required_for_personal_accounts():
    assert codes(personal_form(company_name="", phone="garbage")) == []


def test_every_failing_field_is_reported_at_once_in_form_order():
    found = codes({"account_type": "business"})
    assert found == [
        ("email", "REG-1"), ("password", "REG-3"), ("name", "REG-6"),
        ("business_name", "REG-17"), ("company_name", "REG-9"), ("address", "REG-8"),
        ("city", "REG-12"), ("zip_code", "REG-13"), ("country", "REG-10"),
        ("phone", "REG-11"), ("tax_id", "REG-14"), ("accept_terms", "REG-15"),
    ]


def test_wrong_types_are_reported_at_their_fields_not_raised():
    found = codes({"email": 5, "password": ["x"], "name": {"a": 1}, "account_type": None, "accept_terms": 1})
    assert [f for f, _ in found] == ["email", "password", "name", "account_type", "accept_terms"]


SIGN_UP_MESSAGES = [
    # (code, the Aptoide English wording, the Aptoide Brazilian Portuguese wording or, where
    #  the Portuguese page left the English text, our translation)
    ("REG-1", "Please insert an email address", "Por favor, insira o endereço de email"),
    ("REG-3", EN_PASSWORD, PT_PASSWORD),
    ("REG-4", "This url is invalid, please enter a valid one.", "Esta url é inválida, por favor insira uma url válida."),
    ("REG-5", "Use only letters, numbers and/or dashes. No spaces please!",
     "Use apenas letras, números e/ou traços. Nada de espaços, por favor!"),
    ("REG-6", "Please insert a name", "Por favor, insira um nome"),
    ("REG-7", "Business Name should be smaller than 40 characters.", "O Nome do Negócio ter menos de 40 caracteres."),
    ("REG-8", "Please insert an address.", "Por favor, insira um endereço."),
    ("REG-9", "Please insert a company name.", "Por favor, insira o nome da empresa."),
    ("REG-10", "Please insert a valid country.", "Por favor, insira um país válido."),
    ("REG-11", "Please insert a valid phone number.", "Por favor, insira um número de telefone válido."),
    ("REG-12", "Please insert a city.", "Por favor, insira uma cidade."),
    ("REG-13", "Please insert a zip/postal code.", "Por favor, insira um CEP/código postal."),
    ("REG-14", "Please insert a tax ID / VAT.", "Por favor, insira um CNPJ/CPF / número de contribuinte."),
    ("REG-15", "You must agree with terms of use.", "Você deve concordar com os termos de uso."),
    ("REG-16", "You must select one option", "Você deve selecionar uma opção"),
]


@pytest.mark.parametrize("code,english,portuguese", SIGN_UP_MESSAGES)
def test_messages_in_both_languages(code, english, portuguese):
    from apkdepot.errors import CATALOGUE, Problem

    p = Problem(CATALOGUE[code])
    assert p.message("en") == english
    assert p.message("pt_BR") == portuguese


def test_every_catalogue_message_has_a_portuguese_translation():
    from apkdepot.errors import CATALOGUE
    from apkdepot.i18n import gettext

    untranslated = [spec.code for spec in CATALOGUE.values() if gettext("pt_BR", spec.message) == spec.message]
    assert untranslated == []
