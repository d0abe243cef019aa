"""The list of events and each event's front page."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..access import admin_required, get_event
from ..auth.forms import EmptyForm
from ..extensions import db
from ..forms import apply_field_error
from ..manage.forms import EventForm
from ..models import Event
from ..services import ServiceError, accounts
from ..services.events import create_event
from .forms import JoinForm

bp = Blueprint("events", __name__)


@bp.get("/")
def index():
    events = db.session.scalars(select(Event).order_by(Event.first_day.desc())).all()
    if len(events) == 1:
        return redirect(url_for("events.home", slug=events[0].slug))
    return render_template("events/index.html", events=events)


@bp.route("/events/new", methods=["GET", "POST"])
@admin_required
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
def home(slug):
    event = get_event(slug)
    role = current_user.role_in(event) if current_user.is_authenticated else None
    return render_template(
        "events/home.html", event=event, role=role, join_form=JoinForm(), form=EmptyForm()
    )


@bp.post("/<slug>/join")
@login_required
def join(slug):
    event = get_event(slug)
    form = JoinForm()
    if form.validate_on_submit():
        try:
            accounts.join_event(current_user, event, form.invite_code.data)
        except ServiceError as err:
            flash(err.message, "error")
        else:
            flash(_("You have joined %(name)s.", name=event.name), "success")
    return redirect(url_for("events.home", slug=event.slug))
