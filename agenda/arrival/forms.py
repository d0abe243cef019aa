from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, IntegerField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

from ..auth.forms import PASSWORD_RULES
from ..forms import BaseForm, MultiCheckboxField


class ImportPeopleForm(BaseForm):
    file = FileField(_l("Participant list (CSV)"), validators=[FileRequired(_l("Choose a CSV file."))],
                     description=_l("Columns name,email,languages,days with a header row. The e-mail may be "
                                    "empty; languages are codes separated by spaces (en es); days are dates "
                                    "of the event (2017-11-07) separated by spaces, empty for every day."))


class SignInLinkForm(BaseForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])


class DaysForm(BaseForm):
    days = MultiCheckboxField(_l("Days at the event"))


class HeadCountForm(BaseForm):
    count = IntegerField(_l("People who came"), validators=[Optional(), NumberRange(min=0, max=100000)])


class FirstPasswordForm(BaseForm):
    password = PasswordField(_l("Password"), description=_l("At least 10 characters."), validators=PASSWORD_RULES)
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])
