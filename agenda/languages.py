"""Languages people can say they speak, by ISO 639-1 code."""

from babel import Locale, UnknownLocaleError
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

SPOKEN = {
    "en": _l("English"),
    "es": _l("Spanish"),
    "fr": _l("French"),
    "pt": _l("Portuguese"),
    "ar": _l("Arabic"),
    "sw": _l("Swahili"),
    "ru": _l("Russian"),
    "zh": _l("Chinese"),
    "hi": _l("Hindi"),
    "tr": _l("Turkish"),
    "id": _l("Indonesian"),
    "de": _l("German"),
}


def language_name(code: str) -> str:
    """The name on its own (a list, a badge): capitalised as a heading would be."""
    return str(SPOKEN.get(code, code))


def language_in_sentence(code: str) -> str:
    """The name inside a sentence, written as the reader's language writes it there: English
    capitalises language names, Spanish and French do not ("en inglés", "en anglais")."""
    locale = get_locale()
    try:
        name = Locale.parse(str(locale)).languages.get(code) if locale is not None else None
    except (UnknownLocaleError, ValueError):
        name = None
    return name or language_name(code)


def interpreted_into(language: str, interpretation: list[dict]) -> str:
    """"Spanish, interpreted into English and French", in the reader's language; "" when not interpreted."""
    into = [language_in_sentence(x["into"]) for x in interpretation or () if x.get("into")]
    if not into:
        return ""
    names = into[0] if len(into) == 1 else _("%(items)s and %(last)s", items=", ".join(into[:-1]), last=into[-1])
    return _("%(language)s, interpreted into %(languages)s", language=language_name(language), languages=names)
