"""E-mail addresses: one canonical form for every address that enters the app.

Every address a person types (registration, login, password reset, invitations, the command
line) goes through `canonical`: syntax checked by email_validator (one address, no display
name, no list), full-width and other compatibility forms folded (NFKC), lower case. Look-alikes
are refused rather than stored, so that no second account can look like another: a part that
mixes Latin with Cyrillic, Greek or another script with Latin look-alikes, one written only in
such look-alike letters, dotless i and combining marks that survive NFC (as in "İ" lower-cased).
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

# Scripts with letters that look like Latin ones: mixing them with Latin is how look-alikes are made.
CONFUSABLE_SCRIPTS = {"LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC"}
# Letters of those scripts that look like a Latin letter on their own (lower case, after NFKC).
LOOK_ALIKES = set("аеорсухіјѕԁһӏԛԝьвкмнтгпдаɑοαιкνρτυχεηѵ") | {"ı", "ȷ"}


class AddressError(ValueError):
    """Not a single, plain e-mail address; `message` says why, in the reader's language."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    return unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]


def _looks_alike(part: str) -> bool:
    if any(unicodedata.category(ch).startswith("M") for ch in part) or any(ch in "ıȷ" for ch in part):
        return True
    scripts = {s for s in map(_script, part) if s in CONFUSABLE_SCRIPTS}
    if len(scripts) > 1:
        return True
    letters = [ch for ch in part if ch.isalpha()]
    # A part written entirely in Cyrillic (or Greek…) look-alikes reads as a Latin one.
    return scripts != {"LATIN"} and bool(letters) and all(ch in LOOK_ALIKES for ch in letters)


def canonical(raw: str) -> str:
    """The one stored form of an address; AddressError if it is not exactly one plain address."""
    text = unicodedata.normalize("NFKC", (raw or "").strip())
    if not text:
        raise AddressError(_l("Give an email address."))
    try:
        result = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        raise AddressError(_l("This is not an email address, e.g. name@example.org.")) from None
    address = unicodedata.normalize("NFC", result.normalized.lower())
    local, _, domain = address.rpartition("@")
    if _looks_alike(local) or any(_looks_alike(label) for label in domain.split(".")):
        raise AddressError(_l("This address mixes letters of different alphabets. Please write it in one."))
    if len(address) > 254:
        raise AddressError(_l("This is not an email address, e.g. name@example.org."))
    return address


def lookup_form(raw: str) -> str:
    """For looking an account up (log in): the canonical form when there is one, never an error."""
    try:
        return canonical(raw)
    except AddressError:
        return (raw or "").strip().lower()


def is_plain(address: str) -> bool:
    """True when a stored address is still exactly its canonical self (checked again on sending)."""
    try:
        return canonical(address) == address
    except AddressError:
        return False


def email_address(form, field) -> None:
    """WTForms validator: refuse what is not one plain address; keep the canonical form."""
    try:
        field.data = canonical(field.data)
    except AddressError as e:
        raise ValidationError(e.message) from None
