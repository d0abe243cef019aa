"""The facilitator's set-up of an event: settings, rooms, slots, people.

A change that touches the published schedule is shown first (what it affects) and made only
once confirmed; it lands in the next draft. Removing a room or a slot is always confirmed.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectChoice

from ..access import loader, owned
from ..dates import span, when
from ..extensions import db
from ..forms import EmptyForm, apply_field_error
from ..models import Interpreter, Membership, Room, Slot, User
from ..permissions import permission
from ..services import ServiceError
from ..services import events as svc
from ..services import interpreters as interpreter_svc
from .forms import EventForm, FormatsForm, InterpreterForm, RoomForm, SlotForm, SlotTemplateForm, split_list

bp = Blueprint("manage", __name__, url_prefix="/<slug>/manage")


def slot_choices(event, slots=None):
    return [SelectChoice(s.id, f"{when(s.start, event.tz, 'short_day')} {span(s.start, s.end, event.tz)} "
                               f"{s.label}".strip()) for s in (slots if slots is not None else event.slots)]


def confirmed() -> bool:
    return request.form.get("confirmed") == "1"


def _saved(impact, message):
    """Flash what a saved change did to the schedule."""
    flash(message, "success")
    if impact.applied and impact.sessions:
        flash(_("The change is in draft version %(n)d: review it and publish it as usual.", n=impact.draft_number),
              "success")


@bp.route("/", methods=["GET", "POST"])
@permission("event.manage")
def settings(event):
    form = EventForm(obj=event)
    if not form.is_submitted():
        form.languages.data = ", ".join(event.languages)
        form.formats.data = "\n".join(event.formats)
    impact = None
    if form.validate_on_submit():
        try:
            impact = svc.update_event(event, form.settings(), confirmed())
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            if impact.applied:
                _saved(impact, _("The event settings are saved."))
                return redirect(url_for("manage.settings", slug=event.slug))
    return render_template("manage/settings.html", event=event, form=form, impact=impact), \
        400 if form.errors or form.form_errors else 200


@bp.route("/formats", methods=["GET", "POST"])
@permission("event.manage")
def formats(event):
    """How each format runs: at tables in a hall or in a room, how many runs by default."""
    form = FormatsForm.for_event(event, request.form if request.method == "POST" else None)
    impact = None
    if request.method == "POST" and form.validate():
        impact = svc.save_formats(event, form.settings(event), confirmed())
        if impact.applied:
            _saved(impact, _("The formats are saved."))
            return redirect(url_for("manage.formats", slug=event.slug))
    return render_template("manage/formats.html", event=event, form=form, rows=form.rows(event), impact=impact), \
        400 if form.errors else 200


@bp.get("/rooms")
@permission("event.manage")
def rooms(event):
    return render_template("manage/rooms.html", event=event, form=EmptyForm())


def _room_page(event, room):
    current = room and {
        "name": room.name, "capacity": room.capacity, "features": ", ".join(room.features),
        "unavailable": [s.id for s in room.unavailable], "tables": room.tables,
    }
    form = RoomForm(data=current)
    form.unavailable.choices = slot_choices(event)
    impact = None
    if form.validate_on_submit():
        try:
            impact = svc.save_room(event, room, form.name.data, form.capacity.data,
                                   split_list(form.features.data), form.unavailable.data, confirmed(),
                                   tables=form.tables.data or 0)
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            if impact.applied:
                _saved(impact, _("The room is saved."))
                return redirect(url_for("manage.rooms", slug=event.slug))
    return render_template("manage/room.html", event=event, form=form, room=room, impact=impact), \
        400 if form.errors or form.form_errors else 200


@bp.route("/rooms/new", methods=["GET", "POST"])
@permission("event.manage")
def new_room(event):
    return _room_page(event, None)


def _live(model, key):
    load = loader(model, key)

    def live(event, kwargs):
        obj = load(event, kwargs)
        if obj.removed_at is not None:
            abort(404)
        return obj

    return live


@bp.route("/rooms/<int:room_id>", methods=["GET", "POST"])
@permission("event.manage")
def edit_room(event, room_id):
    return _room_page(event, _live(Room, "room_id")(event, {"room_id": room_id}))


@bp.post("/rooms/<int:room_id>/delete")
@permission("event.manage")
def delete_room(event, room_id):
    room = _live(Room, "room_id")(event, {"room_id": room_id})
    if not EmptyForm().validate_on_submit():
        abort(400)
    impact = svc.remove_room(room, confirmed())
    if not impact.applied:
        return render_template("manage/confirm.html", event=event, impact=impact, kind="room", room=room,
                               action=url_for("manage.delete_room", slug=event.slug, room_id=room.id),
                               back=url_for("manage.rooms", slug=event.slug), form=EmptyForm())
    _saved(impact, _("%(room)s is removed.", room=room.name))
    return redirect(url_for("manage.rooms", slug=event.slug))


@bp.route("/slots", methods=["GET", "POST"])
@permission("event.manage")
def slots(event):
    form = SlotTemplateForm()
    if not form.is_submitted():
        form.day.data = event.first_day
    if form.validate_on_submit():
        try:
            new = svc.add_day_of_slots(event, form.day.data, form.template.data)
        except ServiceError as err:
            apply_field_error(form, err.field or "template", err.message)
        else:
            flash(_("%(n)d slots added.", n=len(new)), "success")
            return redirect(url_for("manage.slots", slug=event.slug))
    days = {}
    for s in event.slots:
        days.setdefault(s.local_start.date(), []).append(s)
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "manage/slots.html", event=event, form=form, days=list(days.items()), delete_form=EmptyForm()
    ), status


@bp.route("/slots/<int:slot_id>", methods=["GET", "POST"])
@permission("event.manage")
def edit_slot(event, slot_id):
    slot = _live(Slot, "slot_id")(event, {"slot_id": slot_id})
    # Local times, not the stored UTC moments (a field the browser leaves out keeps these).
    form = SlotForm(data={"day": slot.local_start.date(), "start": slot.local_start.time(),
                          "end": slot.local_end.time(), "kind": slot.kind, "label": slot.label})
    impact = None
    if form.validate_on_submit():
        try:
            impact = svc.update_slot(slot, form.day.data, form.start.data, form.end.data, form.kind.data,
                                     form.label.data or "", confirmed())
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            if impact.applied:
                _saved(impact, _("The slot is saved."))
                return redirect(url_for("manage.slots", slug=event.slug))
    return render_template("manage/slot.html", event=event, form=form, slot=slot, impact=impact), \
        400 if form.errors or form.form_errors else 200


@bp.post("/slots/<int:slot_id>/delete")
@permission("event.manage")
def delete_slot(event, slot_id):
    slot = _live(Slot, "slot_id")(event, {"slot_id": slot_id})
    if not EmptyForm().validate_on_submit():
        abort(400)
    impact = svc.remove_slot(slot, confirmed())
    if not impact.applied:
        return render_template("manage/confirm.html", event=event, impact=impact, kind="slot", slot=slot,
                               action=url_for("manage.delete_slot", slug=event.slug, slot_id=slot.id),
                               back=url_for("manage.slots", slug=event.slug), form=EmptyForm())
    _saved(impact, _("The slot is removed."))
    return redirect(url_for("manage.slots", slug=event.slug))


@bp.get("/people")
@permission("event.manage")
def people(event):
    members = db.session.scalars(
        select(Membership).join(User).where(Membership.event_id == event.id)
        .order_by(User.display_name)
    ).all()
    return render_template("manage/people.html", event=event, members=members, form=EmptyForm())


@bp.post("/people/<int:user_id>/role/<role>")
@permission("event.manage")
def set_role(event, user_id, role):
    if role not in ("participant", "facilitator"):
        abort(404)
    membership = db.session.get(Membership, (user_id, event.id))
    if membership is None:
        abort(404)
    user = membership.user
    if EmptyForm().validate_on_submit():
        try:
            svc.set_role(event, user, role)
        except ServiceError as err:
            flash(err.message, "error")
        else:
            flash(_("%(name)s is now a facilitator.", name=user.display_name) if role == "facilitator"
                  else _("%(name)s is now a participant.", name=user.display_name), "success")
    return redirect(url_for("manage.people", slug=event.slug))


@bp.get("/interpreters")
@permission("event.manage")
def interpreters(event):
    return render_template("manage/interpreters.html", event=event, form=EmptyForm(),
                           interpreters=interpreter_svc.interpreters_of(event))


def _interpreter_page(event, interpreter):
    current = interpreter and {
        "name": interpreter.name, "pairs": ", ".join("-".join(p) for p in interpreter.pairs),
        "available": [s.id for s in interpreter.available], "max_slots_per_day": interpreter.max_slots_per_day,
        "user_id": interpreter.user_id,
    }
    form = InterpreterForm(data=current)
    form.available.choices = slot_choices(event, [s for s in event.slots if s.kind == "open"])
    form.user_id.choices = [SelectChoice("", _("No"))] + [
        SelectChoice(u.id, u.display_name) for u in interpreter_svc.members_of(event)]
    if form.validate_on_submit():
        try:
            interpreter_svc.save_interpreter(event, interpreter, form.name.data, form.pairs.data,
                                             form.available.data or [], form.max_slots_per_day.data,
                                             form.user_id.data)
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            flash(_("The interpreter is saved. The next schedule you generate uses them."), "success")
            return redirect(url_for("manage.interpreters", slug=event.slug))
    return render_template("manage/interpreter.html", event=event, form=form, interpreter=interpreter), \
        400 if form.errors or form.form_errors else 200


@bp.route("/interpreters/new", methods=["GET", "POST"])
@permission("event.manage")
def new_interpreter(event):
    return _interpreter_page(event, None)


@bp.route("/interpreters/<int:interpreter_id>", methods=["GET", "POST"])
@permission("event.manage")
def edit_interpreter(event, interpreter_id):
    return _interpreter_page(event, owned(Interpreter, event, interpreter_id))


@bp.post("/interpreters/<int:interpreter_id>/delete")
@permission("event.manage")
def delete_interpreter(event, interpreter_id):
    interpreter = owned(Interpreter, event, interpreter_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = interpreter.name
    interpreter_svc.remove_interpreter(interpreter)
    flash(_("%(name)s is removed from the interpreters.", name=name), "success")
    return redirect(url_for("manage.interpreters", slug=event.slug))


@bp.get("/interpreters/<int:interpreter_id>/schedule")
@permission("event.manage")
def interpreter_schedule(event, interpreter_id):
    """What one interpreter interprets in the published schedule (or, before, the newest draft): to print."""
    interpreter = owned(Interpreter, event, interpreter_id)
    version, runs = interpreter_svc.runs_of(event, interpreter)
    return render_template("manage/interpreter_schedule.html", event=event, interpreter=interpreter,
                           version=version, runs=runs)
