from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length, Optional

from ..forms import BaseForm


class JoinForm(BaseForm):
    invite_code = StringField(_l("Invite code"), validators=[Optional(), Length(max=64)])
