"""Shared form pieces: a base form that refuses characters no one types, and field helpers."""

import unicodedata

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto, _is_submitted
from werkzeug.datastructures import MultiDict
from wtforms import FileField, SelectMultipleField, TextAreaField, widgets

ALLOWED_CONTROL = {"\n", "\r", "\t"}
# Characters that reorder the text around them: in a title they make it read as something else.
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROL for c in text)


def is_noncharacter(c: str) -> bool:
    """U+FDD0…U+FDEF and U+xxFFFE/U+xxFFFF: never text (XML refuses them)."""
    n = ord(c)
    return 0xFDD0 <= n <= 0xFDEF or (n & 0xFFFE) == 0xFFFE


def text_problem(text: str, multiline: bool):
    """Why this text cannot be stored, or None."""
    if has_control_characters(text):
        return _l("Control characters are not allowed here.")
    if any(is_noncharacter(c) or c in BIDI_CONTROLS or unicodedata.category(c) == "Cs" for c in text):
        return _l("This text holds invisible characters that are not allowed here.")
    if not multiline and ("\n" in text or "\r" in text):
        return _l("Write this on one line.")
    return None


class BaseForm(FlaskForm):
    """Every form refuses NUL bytes, other control characters, direction overrides and
    non-characters in any text field, and line breaks in single-line fields.

    Fields are read from the form's text parts, and files only for its file fields: a file (or a
    JSON body) where text belongs would reach validators that expect a string. A field sent as a
    file where text belongs gets an error of its own instead."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            if formdata is not _Auto:
                return formdata
            if not _is_submitted():
                return None
            takes_files = {f.name for f in form if isinstance(f, FileField)}
            form._sent_as_file = set(request.files) - takes_files
            if not takes_files:
                return request.form
            data = MultiDict(request.form)
            for name in takes_files & set(request.files):
                data.setlist(name, request.files.getlist(name))
            return data

    _sent_as_file: set = set()

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for field in self:
            if field.name in self._sent_as_file:
                field.errors = [*field.errors, _l("This field takes text, not a file.")]
                ok = False
            values = field.data if isinstance(field.data, list) else [field.data]
            multiline = isinstance(field, TextAreaField)
            problem = next((p for v in values if isinstance(v, str) and (p := text_problem(v, multiline))), None)
            if problem is not None:
                field.errors = [*field.errors, problem]
                ok = False
        return ok


class EmptyForm(BaseForm):
    """A CSRF-protected one-click POST (log out, make facilitator, delete)."""


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes: usable without JavaScript and with the keyboard."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def apply_field_error(form: FlaskForm, field: str | None, message: str) -> None:
    """Show a service's refusal next to its field (or at the top of the form)."""
    target = getattr(form, field, None) if field else None
    if target is not None:
        target.errors = [*target.errors, message]
    else:
        form.form_errors.append(message)
