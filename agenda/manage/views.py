"""The facilitator's set-up of an event: settings, rooms, slots, people."""

from itertools import groupby

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectChoice

from ..access import facilitator_required
from ..auth.forms import EmptyForm
from ..extensions import db
from ..forms import apply_field_error
from ..models import Membership, Room, Slot, User
from ..services import ServiceError
from ..services import events as svc
from .forms import EventForm, RoomForm, SlotForm, SlotTemplateForm, split_list

bp = Blueprint("manage", __name__, url_prefix="/<slug>/manage")


def _owned(model, event, object_id):
    """The event's object with this id; another event's is as unknown as a missing one."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.event_id != event.id:
        abort(404)
    return obj


def _slot_choices(event):
    return [
        SelectChoice(s.id, f"{s.local_start:%a %d %b %H:%M}–{s.local_end:%H:%M} {s.label}".strip())
        for s in event.slots
    ]


@bp.route("/", methods=["GET", "POST"])
@facilitator_required
def settings(event):
    form = EventForm(obj=event)
    if not form.is_submitted():
        form.languages.data = ", ".join(event.languages)
        form.formats.data = "\n".join(event.formats)
    if form.validate_on_submit():
        try:
            svc.update_event(event, form.settings())
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            flash(_("The event settings are saved."), "success")
            return redirect(url_for("manage.settings", slug=event.slug))
    return render_template("manage/settings.html", event=event, form=form)


@bp.get("/rooms")
@facilitator_required
def rooms(event):
    return render_template("manage/rooms.html", event=event, form=EmptyForm())


@bp.route("/rooms/new", methods=["GET", "POST"], defaults={"room_id": None})
@bp.route("/rooms/<int:room_id>", methods=["GET", "POST"])
@facilitator_required
def edit_room(event, room_id):
    room = _owned(Room, event, room_id) if room_id else None
    current = room and {
        "name": room.name, "capacity": room.capacity, "features": ", ".join(room.features),
        "unavailable": [s.id for s in room.unavailable],
    }
    form = RoomForm(data=current)
    form.unavailable.choices = _slot_choices(event)
    if form.validate_on_submit():
        try:
            svc.save_room(
                event, room, form.name.data, form.capacity.data,
                split_list(form.features.data), form.unavailable.data,
            )
        except ServiceError as err:
            db.session.rollback()
            apply_field_error(form, err.field, err.message)
        else:
            flash(_("The room is saved."), "success")
            return redirect(url_for("manage.rooms", slug=event.slug))
    return render_template("manage/room.html", event=event, form=form, room=room)


@bp.post("/rooms/<int:room_id>/delete")
@facilitator_required
def delete_room(event, room_id):
    room = _owned(Room, event, room_id)
    if EmptyForm().validate_on_submit():
        svc.delete_room(room)
        flash(_("The room is removed."), "success")
    return redirect(url_for("manage.rooms", slug=event.slug))


@bp.route("/slots", methods=["GET", "POST"])
@facilitator_required
def slots(event):
    form = SlotTemplateForm()
    if not form.is_submitted():
        form.day.data = event.first_day
    if form.validate_on_submit():
        try:
            new = svc.add_day_of_slots(event, form.day.data, form.template.data)
        except ServiceError as err:
            db.session.rollback()
            apply_field_error(form, err.field or "template", err.message)
        else:
            flash(_("%(n)d slots added.", n=len(new)), "success")
            return redirect(url_for("manage.slots", slug=event.slug))
    days = [(day, list(group)) for day, group in
            groupby(event.slots, key=lambda s: s.local_start.date())]
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "manage/slots.html", event=event, form=form, days=days, delete_form=EmptyForm()
    ), status


@bp.route("/slots/<int:slot_id>", methods=["GET", "POST"])
@facilitator_required
def edit_slot(event, slot_id):
    slot = _owned(Slot, event, slot_id)
    form = SlotForm(obj=slot)
    if not form.is_submitted():
        form.day.data = slot.local_start.date()
        form.start.data = slot.local_start.time()
        form.end.data = slot.local_end.time()
    if form.validate_on_submit():
        try:
            svc.update_slot(
                slot, form.day.data, form.start.data, form.end.data, form.kind.data,
                form.label.data or "",
            )
        except ServiceError as err:
            db.session.rollback()
            apply_field_error(form, err.field, err.message)
        else:
            flash(_("The slot is saved."), "success")
            return redirect(url_for("manage.slots", slug=event.slug))
    return render_template("manage/slot.html", event=event, form=form, slot=slot)


@bp.post("/slots/<int:slot_id>/delete")
@facilitator_required
def delete_slot(event, slot_id):
    slot = _owned(Slot, event, slot_id)
    if EmptyForm().validate_on_submit():
        svc.delete_slot(slot)
        flash(_("The slot is removed."), "success")
    return redirect(url_for("manage.slots", slug=event.slug))


@bp.get("/people")
@facilitator_required
def people(event):
    members = db.session.scalars(
        select(Membership).join(User).where(Membership.event_id == event.id)
        .order_by(User.display_name)
    ).all()
    return render_template("manage/people.html", event=event, members=members, form=EmptyForm())


@bp.post("/people/<int:user_id>/role/<role>")
@facilitator_required
def set_role(event, user_id, role):
    if role not in ("participant", "facilitator"):
        abort(404)
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        try:
            svc.set_role(event, user, role)
        except ServiceError as err:
            flash(err.message, "error")
        else:
            flash(_("%(name)s is now a %(role)s.", name=user.display_name, role=_(role)), "success")
    return redirect(url_for("manage.people", slug=event.slug))
