from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from ..addresses import email_address
from ..enums import EMAIL_KINDS
from ..forms import BaseForm, MultiCheckboxField
from ..languages import SPOKEN


def strong_password(form, field):
    """Refuse passwords that are easy to guess, and ones made of the person's own e-mail or name."""
    from ..security import password_is_weak

    context = [getattr(form, name).data for name in ("email", "display_name") if hasattr(form, name)]
    from flask_login import current_user

    if current_user and current_user.is_authenticated:
        context += [current_user.email, current_user.display_name]
    if field.data and password_is_weak(field.data, [c for c in context if isinstance(c, str)]):
        raise ValidationError(_l("This password is too easy to guess. Try four or five words no one would "
                                 "put together, or a longer mix."))


PASSWORD_RULES = [DataRequired(), Length(min=10, max=200), strong_password]


class LoginForm(BaseForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class RegisterForm(BaseForm):
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Length(max=254), email_address]
    )
    display_name = StringField(
        _l("Display name"),
        description=_l("Shown to other participants. A pseudonym is fine."),
        validators=[DataRequired(), Length(max=80)],
    )
    password = PasswordField(
        _l("Password"), description=_l("At least 10 characters."), validators=PASSWORD_RULES
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    languages = MultiCheckboxField(
        _l("Languages I speak"), description=_l("The list of proposals shows these first."),
        choices=[SelectChoice(k, v) for k, v in SPOKEN.items()],
    )
    invite_code = StringField(_l("Invite code"), validators=[Optional(), Length(max=64)])


def interface_choices():
    from ..i18n import LANGUAGES as INTERFACE
    from ..i18n import language_own_name

    return [SelectChoice("", _l("The one my browser asks for"))] + [
        SelectChoice(code, language_own_name(code)) for code in INTERFACE]


def email_choices():
    return [SelectChoice(k, v) for k, v in EMAIL_KINDS.items()]


class ProfileForm(BaseForm):
    display_name = StringField(
        _l("Display name"),
        description=_l("Shown to other participants. A pseudonym is fine."),
        validators=[DataRequired(), Length(max=80)],
    )
    languages = MultiCheckboxField(
        _l("Languages I speak"), choices=[SelectChoice(k, v) for k, v in SPOKEN.items()]
    )
    locale = SelectField(
        _l("Language of the pages"), choices=interface_choices, validate_choice=False,
        description=_l("Also the language of your e-mails, your calendar and your plain-text agenda."),
    )
    emails = MultiCheckboxField(_l("E-mail me about"), choices=lambda: email_choices(), validate_choice=False)


class PasswordForm(BaseForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(
        _l("New password"), description=_l("At least 10 characters."), validators=PASSWORD_RULES
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class DeleteAccountForm(BaseForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=200)])
    sure = BooleanField(
        _l("Yes, delete my account and everything of mine"), validators=[DataRequired()]
    )


class ForgotForm(BaseForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254), email_address])


class ResetForm(BaseForm):
    password = PasswordField(
        _l("New password"), description=_l("At least 10 characters."), validators=PASSWORD_RULES
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
