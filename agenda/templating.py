"""Template helpers and error pages."""

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from . import enums
from .dates import span, when
from .forms import EmptyForm
from .languages import interpreted_into, language_in_sentence, language_name
from .permissions import can, can_vote


def _tz(source):
    """An event, a frame or a tzinfo: what times are shown in."""
    return getattr(source, "tz", source)


def status_label(value: str) -> str:
    return enums.label(enums.RunStatus, value)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["language"] = language_name
    app.jinja_env.filters["language_in_sentence"] = language_in_sentence
    app.jinja_env.filters["interpreted"] = lambda interpretation, language: interpreted_into(language, interpretation)
    app.jinja_env.globals["EmptyForm"] = EmptyForm
    app.jinja_env.globals["can"] = can
    app.jinja_env.globals["can_vote"] = can_vote
    app.jinja_env.globals["enums"] = enums

    @app.template_filter("when")
    def when_filter(moment, source=None, fmt="day_time"):
        """A UTC moment in the event's (or the version's) timezone, in the reader's language."""
        return when(moment, _tz(source), fmt)

    @app.template_filter("span")
    def span_filter(slot_or_item, source=None):
        return span(slot_or_item.start, slot_or_item.end, _tz(source))

    @app.template_global("also_at")
    def also_at(item, source=None):
        """The other runs of a session: "14:00", or "Wed 8 Nov 11:00" on another day."""
        tz = _tz(source)
        day = item.start.astimezone(tz).date()
        return ", ".join(when(r.start, tz, "time" if r.start.astimezone(tz).date() == day else "short_day_time")
                         for r in item.other_runs)

    @app.template_filter("slot_label")
    def slot_label_filter(slot, source=None):
        """"Tue 7 Nov 14:00–15:30": a slot named by its day and time, in the reader's language."""
        return f"{when(slot.start, _tz(source), 'short_day')} {span(slot.start, slot.end, _tz(source))}"

    @app.template_filter("label")
    def label_filter(value, kind):
        return enums.label(getattr(enums, kind), value)

    def error_page(code, title, message):
        return render_template("error.html", code=code, title=title, message=message), code

    @app.errorhandler(400)
    def bad_request(e):
        return error_page(400, _("Bad request"), _("The request could not be understood."))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return error_page(
            400, _("The form expired"),
            _("Go back, reload the page and send the form again. Nothing was changed."),
        )

    @app.errorhandler(403)
    def forbidden(e):
        return error_page(403, _("Not allowed"), _("Your account may not open this page."))

    @app.errorhandler(404)
    def not_found(e):
        return error_page(404, _("Not found"), _("There is nothing at this address."))

    @app.errorhandler(405)
    def not_allowed(e):
        return error_page(405, _("Not allowed"), _("This page does not take that kind of request."))

    @app.errorhandler(413)
    def too_large(e):
        return error_page(413, _("Too large"), _("What you sent is too large."))

    @app.errorhandler(500)
    def server_error(e):
        return error_page(
            500, _("Something went wrong"),
            _("The error is logged. Nothing you sent was half-saved: try again."),
        )


__all__ = ["init_app", "request", "status_label"]
