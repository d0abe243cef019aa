"""Template helpers and error pages."""

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from .auth.forms import EmptyForm
from .languages import language_name


def init_app(app: Flask) -> None:
    app.jinja_env.filters["language"] = language_name
    app.jinja_env.globals["EmptyForm"] = EmptyForm

    @app.template_filter("local")
    def local(moment, event, fmt="%a %d %b %H:%M"):
        """A UTC moment shown in the event's timezone."""
        return event.local(moment).strftime(fmt)

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
        return error_page(404, _("Not found"), _("There is nothing at %(path)s.", path=request.path))

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
