from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..addresses import email_address
from ..dates import span, when
from ..forms import BaseForm, MultiCheckboxField
from ..languages import language_name
from ..manage.forms import split_list
from ..services.proposals import ProposalData, proposal_problems, room_features, slots_of


class ProposalForm(BaseForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(
        _l("Description"), description=_l("What will people do, learn or decide? Up to 5000 characters."),
        validators=[Optional(), Length(max=5000)],
    )
    # The service checks these against the event with a clear message.
    format = SelectField(_l("Format"), validate_choice=False)
    language = SelectField(_l("Language"), validate_choice=False)
    length = RadioField(
        _l("Length"), coerce=int, default=1, validate_choice=False,
        choices=[SelectChoice(1, _l("One slot")), SelectChoice(2, _l("Two slots in a row"))],
    )
    needs = MultiCheckboxField(_l("Room needs"), validate_choice=False)
    other_needs = StringField(
        _l("Other needs"), description=_l("Separated by commas, e.g. flip chart, sign-language interpretation."),
        validators=[Optional(), Length(max=300)],
    )
    max_group = IntegerField(
        _l("Maximum group size"), description=_l("Leave empty for no limit."),
        validators=[Optional(), NumberRange(min=1, max=10000, message=_l("Give a number from 1 to 10000."))],
    )
    unavailable = MultiCheckboxField(_l("Slots in which the facilitators cannot run it"), coerce=int,
                                     validate_choice=False)
    prefer = MultiCheckboxField(_l("Slots you would prefer"), coerce=int, validate_choice=False,
                                description=_l("Optional. The schedule tries to honour it; it is not promised."))
    prefer_reason = StringField(_l("Why these times?"), description=_l("Shown to the facilitators only."),
                                validators=[Optional(), Length(max=300)])
    interpretation = BooleanField(
        _l("It may be interpreted"), default=True,
        description=_l("Untick it for a session meant only for people who speak its language."))
    visibility = RadioField(
        _l("Who may see it"), default="public",
        choices=[SelectChoice("public", _l("Everyone")),
                 SelectChoice("participants", _l("Participants only (for sensitive topics)"))],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        try:
            data = self.data_for_service()
        except (TypeError, ValueError):
            return False
        for field, message in proposal_problems(self._event, data).items():
            target = getattr(self, field)
            if not target.errors:
                target.errors = [*target.errors, message]
            ok = False
        return ok

    def fill_choices(self, event):
        self._event = event
        self.format.choices = [SelectChoice(f, f) for f in event.formats]
        self.language.choices = [SelectChoice(code, language_name(code)) for code in event.languages]
        self.needs.choices = [SelectChoice(f, f) for f in room_features(event)]
        self.unavailable.choices = [
            SelectChoice(s.id, f"{when(s.start, event.tz, 'short_day')} {span(s.start, s.end, event.tz)}")
            for s in slots_of(event)
        ]
        self.prefer.choices = self.unavailable.choices
        return self

    def data_for_service(self) -> ProposalData:
        return ProposalData(
            title=self.title.data, description=self.description.data or "", format=self.format.data,
            language=self.language.data, length=self.length.data or 1,
            needs=list(self.needs.data or []) + split_list(self.other_needs.data or ""),
            max_group=self.max_group.data, unavailable_slot_ids=list(self.unavailable.data or []),
            visibility=self.visibility.data, prefer_slot_ids=tuple(self.prefer.data or ()),
            prefer_reason=self.prefer_reason.data or "",
            # (the box is shown only when the event has several languages)
            interpretation=bool(self.interpretation.data) or len(self._event.languages) <= 1,
        )


class SchedulingForm(BaseForm):
    """For the facilitators: runs allowed and the session this one follows."""

    runs = IntegerField(_l("Runs allowed"), validators=[Optional(), NumberRange(
        min=1, max=10, message=_l("Give how many times, 1 to 10."))],
        description=_l("Leave empty for its format's default. The schedule repeats it only where that "
                       "lets more people attend."))
    after = SelectField(_l("Comes after"), coerce=int, validate_choice=False,
                        description=_l("For part 2 of a series: it is placed after every run of part 1."))


class VoteForm(BaseForm):
    want = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class InviteForm(BaseForm):
    email = EmailField(_l("Co-facilitator's email"), validators=[DataRequired(), Length(max=254), email_address])


class MergeForm(BaseForm):
    other = SelectField(_l("Merge with"), coerce=int, validate_choice=False)
