"""Phone numbers users give for a callback: read with ``phonenumbers``, masked everywhere
but in the callback record.

A number is valid in international form (``+86 138 0013 8000``) or as a national number of
the default region (``SUPPORT_CALLBACK_REGION``: ``138 0013 8000`` in China). Wherever it
is shown or passed on (the stored message, Rasa, logs, transcripts, analytics) it becomes
a token that keeps only its last four digits::

    [phone …8000]            a valid number, held for the callback record
    [invalid phone …1234]    digits given as a number that is not one (asked again)

The bot reads these tokens, never the digits (:mod:`bot.actions.callback`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers

VALID_TOKEN = re.compile(r"\[phone …(\d{4})\]")
INVALID_TOKEN = re.compile(r"\[invalid phone …(\d{0,4})\]")
# Something written as a phone number: a run of digits, with the separators people type,
# long enough that it is no time ("10:30") or amount ("500").
# Not inside a word: the digits of a hash or an address are no phone number.
_ATTEMPT = re.compile(r"(?<![0-9A-Za-z])\+?\(?\d[\d\s().\-]{4,}\d(?![0-9A-Za-z])")
_MIN_DIGITS = 6


def last_four(number: str) -> str:
    return re.sub(r"\D", "", number)[-4:]


def token(number: str) -> str:
    """The masked form of a valid number."""
    return f"[phone …{last_four(number)}]"


def masked(number: str) -> str:
    """The masked form of a number for people (logs, notices): ``…8000``."""
    return f"…{last_four(number)}"


@dataclass
class Masked:
    """A message with its phone numbers masked."""

    text: str
    numbers: list[str] = field(default_factory=list)  # the valid ones, E.164, in order
    invalid: bool = False  # digits were given that make no number


def parse(text: str, region: str) -> str | None:
    """*text* as one valid number (E.164), or None."""
    try:
        number = phonenumbers.parse(text.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(text: str, region: str, attempts: bool = False) -> Masked:
    """*text* with every valid number replaced by its token; with *attempts* (the bot asked
    for a number), any other run of digits written like one becomes the invalid token."""
    numbers: list[str] = []
    parts: list[str] = []
    end = 0
    for match in phonenumbers.PhoneNumberMatcher(text, region, phonenumbers.Leniency.VALID):
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        numbers.append(e164)
        parts += [text[end : match.start], token(e164)]
        end = match.end
    result = Masked("".join([*parts, text[end:]]), numbers)
    if not attempts:
        return result

    def invalid(found: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", found.group())
        if len(digits) < _MIN_DIGITS:
            return found.group()
        whole = parse(found.group(), region)  # the matcher skips a few valid layouts
        if whole is not None:
            numbers.append(whole)
            return token(whole)
        result.invalid = True
        return f"[invalid phone …{digits[-4:]}]"

    result.text = _ATTEMPT.sub(invalid, result.text)
    return result


def example(region: str) -> str:
    """A mobile number of *region* in international form, for "write it like …"."""
    mobile = phonenumbers.PhoneNumberType.MOBILE
    number = phonenumbers.example_number_for_type(region, mobile)
    number = number or phonenumbers.example_number_for_type("US", mobile)
    assert number is not None  # the library ships one for the US
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def readable(e164: str) -> str:
    """A stored number in international form, for the agent who dials it."""
    return phonenumbers.format_number(
        phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


def valid_region(region: str) -> bool:
    return region.upper() in phonenumbers.SUPPORTED_REGIONS
