from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectChoice, SelectField
from wtforms.validators import InputRequired, NumberRange

from ..forms import BaseForm


class GenerateForm(BaseForm):
    time_limit = IntegerField(
        _l("Time limit (seconds)"), default=20,
        description=_l("The solver keeps improving the schedule until then; 20 s suits most events."),
        validators=[InputRequired(), NumberRange(min=1, max=600, message=_l("Give 1 to 600 seconds."))],
    )
    now_slot = SelectField(
        _l("Keep in place everything before"), coerce=int, validate_choice=False,
        description=_l("Sessions published before this slot have happened and stay where they are."),
    )

    def fill(self, event, default_slot):
        auto = _l("automatic: %(what)s", what=(
            f"{default_slot.local_start:%a %d %b %H:%M}" if default_slot else _l("the event is over, keep nothing")))
        self.now_slot.choices = [SelectChoice(0, auto), SelectChoice(-1, _l("nothing (plan every slot)"))] + [
            SelectChoice(s.id, f"{s.local_start:%a %d %b %H:%M}") for s in event.slots]
        return self


class MoveForm(BaseForm):
    proposal = SelectField(_l("Session"), coerce=int, validate_choice=False)
    slot = SelectField(_l("To slot"), coerce=int, validate_choice=False)
    room = SelectField(_l("In room"), coerce=int, validate_choice=False)


class SwapForm(BaseForm):
    first = SelectField(_l("Swap"), coerce=int, validate_choice=False)
    second = SelectField(_l("with"), coerce=int, validate_choice=False)
