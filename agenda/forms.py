"""Shared form pieces: a base form that refuses control characters, and field helpers."""

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, widgets

ALLOWED_CONTROL = {"\n", "\r", "\t"}


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROL for c in text)


class BaseForm(FlaskForm):
    """Every form refuses NUL bytes and other control characters in any text field."""

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for field in self:
            values = field.data if isinstance(field.data, list) else [field.data]
            if any(isinstance(v, str) and has_control_characters(v) for v in values):
                field.errors = [*field.errors, _l("Control characters are not allowed here.")]
                ok = False
        return ok


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
