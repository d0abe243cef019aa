from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectChoice, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

from ..dates import when
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
        tz = event.tz
        if default_slot:
            auto = _l("automatic: %(when)s", when=when(default_slot.start, tz, "short_day_time"))
        else:
            auto = _l("automatic: the event is over, keep nothing")
        self.now_slot.choices = [SelectChoice(0, auto), SelectChoice(-1, _l("nothing (plan every slot)"))] + [
            SelectChoice(s.id, when(s.start, tz, "short_day_time")) for s in event.slots]
        return self


class MoveForm(BaseForm):
    # "<proposal id>:<slot id of the run>" for a scheduled run, "<proposal id>" to place one.
    proposal = SelectField(_l("Session"), validate_choice=False, validators=[InputRequired()])
    slot = SelectField(_l("To slot"), coerce=int, validate_choice=False)
    room = SelectField(_l("In room"), coerce=int, validate_choice=False)
    table = IntegerField(_l("At table"), validators=[Optional(), NumberRange(min=1, max=1000)],
                         description=_l("For a session that runs at a table of a hall."))


class SwapForm(BaseForm):
    first = SelectField(_l("Swap"), coerce=int, validate_choice=False)
    second = SelectField(_l("with"), coerce=int, validate_choice=False)


class ImproveForm(BaseForm):
    time_limit = IntegerField(
        _l("Time limit (seconds)"), default=20,
        validators=[InputRequired(), NumberRange(min=1, max=600, message=_l("Give 1 to 600 seconds."))],
    )
