"""The list of events and each event's front page."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..forms import EmptyForm, apply_field_error
from ..manage.forms import EventForm
from ..models import Event
from ..permissions import permission
from ..services import ServiceError, accounts
from ..services.announcements import current_announcements
from ..services.attendee import newest_published
from ..services.events import create_event
from .forms import JoinForm

bp = Blueprint("events", __name__)


@bp.get("/")
@permission("account.anonymous")
def index():
    events = db.session.scalars(select(Event).order_by(Event.first_day.desc())).all()
    # With one event, its page is the front page; an admin still sees the list, to create another.
    admin = current_user.is_authenticated and current_user.is_admin
    if len(events) == 1 and not admin:
        # A first visitor sees the product at once: the published schedule, else the event's page.
        published = newest_published(events[0]) is not None
        return redirect(url_for("schedule.index" if published else "events.home", slug=events[0].slug))
    return render_template("events/index.html", events=events)


@bp.route("/events/new", methods=["GET", "POST"])
@permission("event.create")
def new():
    form = EventForm(with_slug=True)
    if form.validate_on_submit():
        try:
            event = create_event(form.slug.data, form.settings())
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            flash(_("The event is created. Add its rooms and slots next."), "success")
            return redirect(url_for("events.home", slug=event.slug))
    return render_template("events/new.html", form=form)


@bp.get("/<slug>/")
@permission("event.view")
def home(event):
    role = current_user.role_in(event) if current_user.is_authenticated else None
    joined = role is not None and not (current_user.is_admin and not any(
        m.event_id == event.id for m in current_user.memberships))
    return render_template(
        "events/home.html", event=event, role=role, joined=joined, join_form=JoinForm(), form=EmptyForm(),
        announcements=current_announcements(event),
    )


@bp.post("/<slug>/join")
@permission("event.join")
def join(event):
    form = JoinForm()
    if form.validate_on_submit():
        try:
            accounts.join_event(current_user, event, form.invite_code.data)
        except ServiceError as err:
            flash(err.message, "error")
        else:
            flash(_("You have joined %(name)s.", name=event.name), "success")
    return redirect(url_for("events.home", slug=event.slug))
