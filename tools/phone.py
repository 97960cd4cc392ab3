"""Phone number helpers shared by the journal, incoming numbers and caller matching."""

import phonenumbers
from phonenumbers import geocoder

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


def to_e164_lenient(number, country_code):
    """Return ``number`` in E.164 if it is a possible phone number, else False: the key calls are
    matched to contacts on.

    Possible, not valid: numbering plans change faster than phonenumbers' metadata, fictional and demo
    numbers are not valid, and a caller must still be recognised by the number stored for them. Reads
    national formats (with ``country_code``), +, 00 and punctuation; drops an extension.
    """
    if not number:
        return False
    for candidate in _international_readings(number):
        try:
            parsed = phonenumbers.parse(candidate, country_code or None)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(parsed):
            return format_e164(parsed)
    return False


def _international_readings(number):
    """``number`` as typed, then, for when that is no possible number, the ways people write an
    international number without +: 0033 1 23 ... where 00 is not the international prefix (011 in
    North America), and 33 1 23 ...; as phone_validation's phone_parse reads them."""
    yield number
    stripped = number.strip()
    if stripped.startswith("00"):
        yield f"+{stripped[2:]}"
    elif not stripped.startswith("+"):
        yield f"+{stripped}"


def format_international(e164_number):
    """Return an E.164 number the way people read it (+33 1 84 88 00 00)."""
    if not e164_number:
        return False
    try:
        parsed = phonenumbers.parse(e164_number)
    except phonenumbers.NumberParseException:
        return e164_number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def guess_origin(e164_number, lang="en"):
    """Where a number is from, as phonenumbers' offline geocoder reads it: (ISO country code, place).

    The place is the geocoder's description (a city for a landline, often only the country for a
    mobile), or "" when it knows nothing finer than the country.
    """
    if not e164_number:
        return False, ""
    try:
        parsed = phonenumbers.parse(e164_number)
    except phonenumbers.NumberParseException:
        return False, ""
    language = (lang or "en").split("_")[0]
    place = geocoder.description_for_number(parsed, language)
    if place == geocoder.country_name_for_number(parsed, language):
        place = ""
    return phonenumbers.region_code_for_number(parsed) or False, place


def display_number(number, country_code=None):
    """The one way the addon shows a phone number to people: international format (+33 1 42 68 53 00)
    for anything that reads as a phone number, extensions and unreadable input as they are."""
    if not number:
        return ""
    if str(number).isdigit() and len(str(number)) <= 5:
        return str(number)  # an internal extension
    return format_international(to_e164_lenient(number, country_code)) or str(number)
