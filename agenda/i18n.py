"""Which language a page speaks, and the switcher that changes it.

In order: a language asked for in the address (`?lang=es`, for feeds and links); the
person's own setting (their profile, or for a visitor without an account the switcher's
cookie); their browser's Accept-Language; the event's default language; English.
Public feeds speak the event's language (or `?lang=`); a personal feed and the plain-text
agenda speak their owner's.
"""

from __future__ import annotations

from babel import Locale
from flask import Blueprint, Flask, current_app, g, has_request_context, make_response, redirect, request
from flask_login import current_user

from .permissions import permission
from .urls import safe_next

LANGUAGES = ("en", "es", "fr")  # the interface languages with a catalogue
COOKIE = "lang"
# Feeds read by calendar and schedule apps: the same for everyone, in the event's language.
PUBLIC_FEEDS = {"schedule.schedule_ics", "schedule.schedule_xml", "schedule.schedule_json"}

bp = Blueprint("i18n", __name__)


def known(code: str | None) -> str | None:
    return code if code in LANGUAGES else None


def event_default() -> str | None:
    event = g.get("event")
    return known(getattr(event, "default_locale", None) if event is not None else g.get("event_locale"))


def select_locale() -> str | None:
    if not has_request_context():  # the CLI and the worker speak English unless told otherwise
        return None
    return choose_locale(request, request.endpoint, event_default, current_app.config["BABEL_DEFAULT_LOCALE"],
                         lambda: current_user.locale if current_user and current_user.is_authenticated else None)


def choose_locale(req, endpoint: str | None, event_locale, default: str, user_locale=lambda: None) -> str:
    """The rule above for a werkzeug request; event_locale and user_locale are asked only when needed.
    (Also the public cache's answer for a visitor without cookies, before Flask's request context.)"""
    asked = known(req.args.get("lang"))
    if asked:
        return asked
    if endpoint in PUBLIC_FEEDS:
        return event_locale() or default
    own = known(user_locale())
    if own:
        return own
    chosen = known(req.cookies.get(COOKIE))
    if chosen:
        return chosen
    browser = req.accept_languages.best_match(LANGUAGES)
    if browser:
        return browser
    return event_locale() or default


def language_own_name(code: str) -> str:
    """A language's name in itself: Español, Français (a switcher is read by those who need it)."""
    return Locale.parse(code).get_display_name(code).capitalize()


def text_direction(code: str) -> str:
    return Locale.parse(code).text_direction if code else "ltr"


@bp.get("/language/<code>")
@permission("account.anonymous")
def switch(code):
    """Switch the interface language: a plain link, usable without JavaScript or an account.

    It sets a cookie only; a logged-in person's profile setting is changed from their profile
    (a form), so this link writes nothing to the database.
    """
    if code not in LANGUAGES:
        code = current_app.config["BABEL_DEFAULT_LOCALE"]
    response = make_response(redirect(safe_next(request.args.get("next")) or "/"))
    response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def language_context():
        from flask_babel import get_locale

        code = str(get_locale() or "en")
        return {"page_lang": code, "page_dir": text_direction(code),
                "interface_languages": [(c, language_own_name(c)) for c in LANGUAGES]}
