import re
import zoneinfo

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..forms import BaseForm, MultiCheckboxField
from ..services.events import EventSettings

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
RESERVED_SLUGS = {"login", "logout", "register", "account", "events", "static"}
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")


def split_list(text, sep: str = ",") -> list[str]:
    """Items of a comma (or line) separated text, each once. A list passes through (a field the
    browser did not send keeps the value it was built with)."""
    if isinstance(text, list | tuple):
        text = sep.join(str(x) for x in text)
    seen: list[str] = []
    for item in (text or "").replace("\n", sep).split(sep):
        item = item.strip()
        if item and item not in seen:
            seen.append(item)
    return seen


class EventForm(BaseForm):
    slug = StringField(
        _l("Address"), description=_l("Lower-case letters, digits and dashes, e.g. campaigncon-2018.")
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    timezone = StringField(
        _l("Timezone"), description=_l("As in Africa/Nairobi or America/Bogota."),
        validators=[DataRequired(), Length(max=64)],
    )
    first_day = DateField(_l("First day"), validators=[DataRequired()])
    last_day = DateField(_l("Last day"), validators=[DataRequired()])
    languages = StringField(
        _l("Languages offered"), description=_l("Language codes separated by commas, e.g. en, es, fr."),
        default="en, es, fr", validators=[DataRequired(), Length(max=200)],
    )
    formats = TextAreaField(
        _l("Session formats"), description=_l("One per line."),
        default="skillshare\nworking session\ncampaign lab\nbazaar table",
        validators=[DataRequired(), Length(max=2000)],
    )
    default_locale = SelectField(
        _l("Default language of the pages"), default="en", validate_choice=False,
        description=_l("For visitors whose browser asks for none of the app's languages, and for the public "
                       "calendar and schedule files."),
    )
    retention_date = DateField(
        _l("Delete personal data after"), validators=[Optional()],
        description=_l("After this day, votes, agenda choices and personal calendars of the event are deleted; "
                       "vote totals, the published schedule and the notes stay."),
    )
    proposals_open = BooleanField(_l("Proposals are open"), default=True)
    voting_open = BooleanField(_l("Voting is open"), default=True)
    invite_code = StringField(
        _l("Invite code"), description=_l("Leave empty to let anyone register."),
        validators=[Optional(), Length(max=64)],
    )
    language_rule = SelectField(
        _l("Schedule for the languages people understand"),
        choices=[SelectChoice("", _l("When the event has more than one language")), SelectChoice("1", _l("Yes")),
                 SelectChoice("0", _l("No"))],
        coerce=lambda v: None if v in (None, "", "None") else v in (True, "1", "True"),
        description=_l("A vote counts where its voter understands the session: in a language they speak, or "
                       "interpreted into one."),
    )

    def __init__(self, *args, with_slug: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_slug:
            del self.slug
        from ..i18n import LANGUAGES, language_own_name

        self.default_locale.choices = [SelectChoice(c, language_own_name(c)) for c in LANGUAGES]

    def validate_slug(self, field):
        if not SLUG_RE.match(field.data or "") or field.data in RESERVED_SLUGS:
            raise ValidationError(_l("Use 2 to 63 lower-case letters, digits and dashes."))

    def validate_timezone(self, field):
        if field.data not in zoneinfo.available_timezones():
            raise ValidationError(_l("Unknown timezone. Use a name such as Africa/Nairobi."))

    def validate_languages(self, field):
        codes = split_list(field.data)
        bad = [c for c in codes if not LANGUAGE_RE.match(c)]
        if bad:
            raise ValidationError(_l("Not a language code: %(codes)s", codes=", ".join(bad)))

    def validate_formats(self, field):
        if any(len(f) > 60 for f in split_list(field.data, "\n")):
            raise ValidationError(_l("Keep each format under 60 characters."))

    def settings(self) -> EventSettings:
        return EventSettings(
            name=self.name.data, timezone=self.timezone.data,
            first_day=self.first_day.data, last_day=self.last_day.data,
            languages=split_list(self.languages.data),
            formats=split_list(self.formats.data, "\n"),
            proposals_open=self.proposals_open.data, voting_open=self.voting_open.data,
            invite_code=self.invite_code.data, default_locale=self.default_locale.data or "en",
            retention_date=self.retention_date.data, language_rule=self.language_rule.data,
        )


class RoomForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    capacity = IntegerField(
        _l("Capacity"), description=_l("How many people fit."),
        validators=[
            InputRequired(message=_l("Give the number of people who fit.")),
            NumberRange(min=0, max=100000, message=_l("Give a number from 0 to 100000.")),
        ],
    )
    features = StringField(
        _l("Features"), description=_l("Separated by commas, e.g. projector, interpretation, step-free."),
        validators=[Optional(), Length(max=300)],
    )
    tables = IntegerField(
        _l("Tables"), default=0,
        description=_l("For a hall where several sessions run at numbered tables at once (a bazaar, a "
                       "skillshare fair): how many tables. 0 for an ordinary room."),
        validators=[Optional(), NumberRange(min=0, max=500, message=_l("Give a number from 0 to 500."))],
    )
    unavailable = MultiCheckboxField(_l("Not available in these slots"), coerce=int)


class FormatsForm(BaseForm):
    """How each of the event's formats runs; the fields are made for its formats (see `for_event`)."""

    @classmethod
    def for_event(cls, event, formdata=None):
        from wtforms import BooleanField as Bool

        class Bound(cls):
            pass

        settings = event.format_settings or {}
        for i, name in enumerate(event.formats):
            current = settings.get(name, {})
            setattr(Bound, f"table_{i}", Bool(_l("At tables in a hall"), default=bool(current.get("at_table"))))
            setattr(Bound, f"runs_{i}", IntegerField(
                _l("Runs by default"), default=int(current.get("runs", 1)),
                validators=[InputRequired(message=_l("Give how many times, 1 to 10.")),
                            NumberRange(min=1, max=10, message=_l("Give how many times, 1 to 10."))]))
        return Bound(formdata=formdata) if formdata is not None else Bound()

    def rows(self, event):
        return [(name, self[f"table_{i}"], self[f"runs_{i}"]) for i, name in enumerate(event.formats)]

    def settings(self, event) -> dict:
        return {name: {"at_table": bool(table.data), "runs": int(runs.data)} for name, table, runs in self.rows(event)}


class SlotTemplateForm(BaseForm):
    day = DateField(_l("Day"), validators=[DataRequired()])
    template = TextAreaField(
        _l("Slots"), description=_l("One slot per line, in the event's timezone, e.g. 09:00-10:30."),
        default="09:00-10:30\n11:00-12:30\n14:00-15:30\n16:00-17:30",
        validators=[DataRequired(), Length(max=2000)],
    )


class SlotForm(BaseForm):
    day = DateField(_l("Day"), validators=[DataRequired()])
    start = TimeField(_l("Starts"), validators=[DataRequired()])
    end = TimeField(_l("Ends"), validators=[DataRequired()])
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice("open", _l("Open for sessions")), SelectChoice("plenary", _l("Plenary")),
                 SelectChoice("break", _l("Break"))],
    )
    label = StringField(_l("Label"), description=_l("E.g. Opening plenary, Lunch."),
                        validators=[Optional(), Length(max=200)])


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class InterpreterForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    pairs = StringField(
        _l("Language pairs"), description=_l("Pairs of language codes they interpret between, both ways, "
                                             "separated by commas, e.g. en-es, en-fr."),
        validators=[DataRequired(message=_l("Give at least one pair of languages, e.g. en-es.")), Length(max=200)],
    )
    available = MultiCheckboxField(_l("Available in these slots"), coerce=int)
    max_slots_per_day = IntegerField(
        _l("At most this many slots a day"), description=_l("Interpreting tires: leave empty for no limit."),
        validators=[Optional(), NumberRange(min=1, max=50, message=_l("Give a number from 1 to 50."))],
    )
    user_id = SelectField(_l("Also a participant"), coerce=_optional_int, validate_choice=False,
                          description=_l("While interpreting, they attend and run nothing else."))
