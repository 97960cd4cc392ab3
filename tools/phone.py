"""Phone number helpers shared by the journal, incoming numbers and caller matching."""

import phonenumbers

from odoo.exceptions import UserError

from odoo.addons.phone_validation.tools.phone_validation import phone_parse


def format_e164(parsed):
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def to_e164(number, country_code):
    """Return ``number`` in E.164, or False when it cannot be read as a phone number.

    Internal extensions and garbage are expected here (a PBX reports both), so a
    number that does not parse is an answer, not an error.
    """
    if not number:
        return False
    try:
        return format_e164(phone_parse(number, country_code))
    except UserError:
        return False


def format_international(e164_number):
    """Return an E.164 number the way people read it (+33 1 84 88 00 00)."""
    if not e164_number:
        return False
    try:
        parsed = phonenumbers.parse(e164_number)
    except phonenumbers.NumberParseException:
        return e164_number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
