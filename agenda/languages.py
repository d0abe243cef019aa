"""Languages people can say they speak, by ISO 639-1 code."""

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
    return str(SPOKEN.get(code, code))
