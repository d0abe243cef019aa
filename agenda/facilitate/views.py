"""The facilitator's evening: generate, watch, review, adjust and publish the schedule."""

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectChoice

from .. import scheduling
from ..access import owned
from ..dates import when
from ..extensions import db
from ..forms import EmptyForm
from ..models import Room, ScheduleVersion, Slot, SolveRun
from ..permissions import permission
from ..reasons import outcome
from ..services import ServiceError
from ..services import places as places_svc
from ..services import schedule as svc
from ..services.arrival import head_counts, present_per_day
from ..services.interpretation import language_review
from ..services.review import review_version
from .forms import GenerateForm, ImproveForm, MoveForm, SwapForm

bp = Blueprint("facilitate", __name__, url_prefix="/<slug>/facilitate")

def load_version(event, kwargs) -> ScheduleVersion:
    number = kwargs.pop("number")
    version = db.session.scalar(select(ScheduleVersion).where(
        ScheduleVersion.event_id == event.id, ScheduleVersion.number == number))
    if version is None:
        abort(404)
    return version


@bp.route("/", methods=["GET", "POST"])
@permission("event.facilitate")
def index(event):
    form = GenerateForm().fill(event, scheduling.default_now(event))
    if form.validate_on_submit():
        choice = form.now_slot.data or 0
        now_slot = None
        if choice > 0:
            now_slot = owned(Slot, event, choice)
        elif choice == 0:
            now_slot = scheduling.default_now(event)
        try:
            run = svc.start_run(event, form.time_limit.data, now_slot)
        except ServiceError as err:
            flash(err.message, "error")
        else:
            return redirect(url_for("facilitate.run", slug=event.slug, run_id=run.id))
    versions = db.session.scalars(select(ScheduleVersion).where(ScheduleVersion.event_id == event.id)
                                  .order_by(ScheduleVersion.number.desc())).all()
    runs = db.session.scalars(select(SolveRun).where(SolveRun.event_id == event.id)
                              .order_by(SolveRun.id.desc()).limit(5)).all()
    return render_template("facilitate/index.html", event=event, form=form, versions=versions,
                           runs=[(r, outcome(r, event)) for r in runs], active=svc.active_run(event))


def _run_state(run: SolveRun, event) -> dict:
    last = run.progress[-1] if run.progress else None
    elapsed = last[0] if last else 0
    from ..templating import status_label

    return {
        "status": run.status, "label": str(status_label(run.status)), "elapsed": elapsed,
        "time_limit": run.time_limit, "objective": last[1] if last else None, "bound": last[2] if last else None,
        "percent": 100 if not run.active else min(99, int(100 * elapsed / max(1, run.time_limit))),
        "message": outcome(run, event), "version": run.version.number if run.version else None,
        "stalled": svc.run_stalled(run),
    }


@bp.get("/runs/<int:run_id>")
@permission("event.facilitate")
def run(event, run_id):
    run = owned(SolveRun, event, run_id)
    return render_template("facilitate/run.html", event=event, run=run, state=_run_state(run, event),
                           form=EmptyForm())


@bp.get("/runs/<int:run_id>.json")
@permission("event.facilitate")
def run_json(event, run_id):
    run = owned(SolveRun, event, run_id)
    state = _run_state(run, event)
    if run.version:
        state["version_url"] = url_for("facilitate.version", slug=event.slug, number=run.version.number)
    return jsonify(state)


@bp.post("/runs/<int:run_id>/cancel")
@permission("event.facilitate")
def cancel(event, run_id):
    run = owned(SolveRun, event, run_id)
    if EmptyForm().validate_on_submit():
        try:
            svc.cancel_run(run)
        except ServiceError as err:
            flash(err.message, "error")
        else:
            flash(_("Stopping: the best schedule found so far will be kept."), "success")
    return redirect(url_for("facilitate.run", slug=event.slug, run_id=run_id))


@bp.post("/runs/<int:run_id>/retry")
@permission("event.facilitate")
def retry(event, run_id):
    run = owned(SolveRun, event, run_id)
    if EmptyForm().validate_on_submit():
        try:
            again = svc.retry_run(run)
        except ServiceError as err:
            flash(err.message, "error")
        else:
            return redirect(url_for("facilitate.run", slug=event.slug, run_id=again.id))
    return redirect(url_for("facilitate.run", slug=event.slug, run_id=run_id))


@bp.get("/versions/<int:number>")
@permission("event.facilitate")
def version(event, number):
    version = load_version(event, {"number": number})
    review = review_version(event, version)
    move_form, swap_form = MoveForm(), SwapForm()
    scheduled = sorted(review.items, key=lambda it: (it.proposal.title.lower(), it.start))
    tz = review.frame.tz
    move_form.proposal.choices = [
        SelectChoice(f"{it.proposal.id}:{it.first_slot.id}",
                     _("%(title)s (%(when)s)", title=it.proposal.title, when=when(it.start, tz, "short_day_time")))
        for it in scheduled] + [
        SelectChoice(f"{it.proposal.id}:new", _("%(title)s (another run)", title=it.proposal.title))
        for it in scheduled if it is it.runs[0] and len(it.runs) < review.runs_allowed.get(it.proposal.id, 1)] + [
        SelectChoice(str(p.id), _("%(title)s (unscheduled)", title=p.title)) for p in review.unscheduled]
    move_form.slot.choices = [SelectChoice(s.id, when(s.start, tz, "short_day_time"))
                              for s in event.slots if s.kind == "open"]
    move_form.room.choices = [SelectChoice(r.id, _("%(room)s (%(num)d tables)", room=r.name, num=r.tables) if r.tables
                                           else f"{r.name} ({r.capacity})") for r in event.rooms]
    single = [it for it in scheduled if len(it.runs) <= 1]
    swap_form.first.choices = swap_form.second.choices = [
        SelectChoice(it.proposal.id, f"{it.proposal.title} — {when(it.start, tz, 'short_day_time')}") for it in single]
    picked = _picked(event, version)
    return render_template("facilitate/version.html", event=event, review=review, version=version,
                           move_form=move_form, swap_form=swap_form, form=EmptyForm(), picked=picked,
                           improve_form=ImproveForm(), hand_placed=places_svc.hand_placed(version),
                           present=present_per_day(event), head_counts=head_counts(event),
                           languages=language_review(event, version, review.items))


def _picked(event, version):
    """?pick=<proposal id>[:<slot id of the run>]: the grid offers "move here" in every cell."""
    proposal, _sep, run = request.args.get("pick", "").partition(":")
    if version.status != "draft" or not proposal.isdigit() or (run and not run.isdigit()) or len(proposal + run) > 18:
        return None
    return places_svc.pick(event, version, int(proposal), int(run) if run else None)


@bp.get("/versions/<int:number>.json")
@permission("event.facilitate")
def version_json(event, number):
    """A version's figures and runs, for scripts and for checking what a place changed."""
    return jsonify(places_svc.version_data(load_version(event, {"number": number})))


def _session_places(event, number, proposal_id) -> places_svc.SessionPlaces:
    found = places_svc.session_places(event, load_version(event, {"number": number}), proposal_id)
    if found is None:
        abort(404)
    return found


@bp.get("/versions/<int:number>/sessions/<int:proposal_id>/places.json")
@permission("event.facilitate")
def places_json(event, number, proposal_id):
    found = _session_places(event, number, proposal_id)
    return jsonify({"session": proposal_id, "places": [{
        "slot": p.slot.id, "room": p.room.id, "table": p.table,
        "swap_with": p.swap_with.id if p.swap_with else None, "from_slot": p.from_slot.id if p.from_slot else None,
        "valid": p.valid, "reasons": p.reasons, "delta": p.delta, "people": {"lose": p.lose, "gain": p.gain},
        "apply": {"url": url_for(p.endpoint, slug=event.slug, number=number), "fields": p.fields}
        if found.editable else None} for p in found.places]})


@bp.get("/versions/<int:number>/sessions/<int:proposal_id>/places")
@permission("event.facilitate")
def places(event, number, proposal_id):
    """Where else could the session go: every place, with what it would change; one click applies one."""
    found = _session_places(event, number, proposal_id)
    return render_template("facilitate/places.html", event=event, found=found, version=found.version)


@bp.get("/compare")
@permission("event.facilitate")
def compare(event):
    """Two versions side by side: ?first=<n>&second=<m> (by default the two newest)."""
    numbers = list(db.session.scalars(select(ScheduleVersion.number).where(ScheduleVersion.event_id == event.id)
                                      .order_by(ScheduleVersion.number.desc())))
    first, second = request.args.get("first", ""), request.args.get("second", "")
    if not (first.isdigit() and second.isdigit()):
        first, second = (numbers[1], numbers[0]) if len(numbers) > 1 else (0, 0)
    chosen = [int(first), int(second)]
    error = None
    if not all(n in numbers for n in chosen):
        error = _("Choose two versions of this event.") if len(numbers) > 1 else _(
            "There is only one version so far: generate another to compare them.")
    result = None if error else places_svc.compare(
        event, load_version(event, {"number": chosen[0]}), load_version(event, {"number": chosen[1]}))
    return render_template("facilitate/compare.html", event=event, numbers=numbers, chosen=chosen, error=error,
                           result=result)


@bp.get("/versions/<int:number>/tables")
@permission("event.facilitate")
def table_plan(event, number):
    """The table plan of any version (a draft too), to check and print."""
    from ..services.frames import frame_of, items_of
    from ..services.frames import table_plan as plan_of

    version = load_version(event, {"number": number})
    frame = frame_of(version, event)
    return render_template("schedule/tables.html", event=event, version=version, frame=frame, public=False,
                           plan=plan_of(frame, items_of(version, frame)), visible=lambda it: True)


def _edit(event, number, action):
    version = load_version(event, {"number": number})
    try:
        action(version)
    except ServiceError as err:
        flash(err.message, "error")
    else:
        flash(_("Saved. The checker's warnings are updated."), "success")
    return redirect(url_for("facilitate.version", slug=event.slug, number=number))


def _previewing() -> bool:
    """The draft page's forms ask for a preview first; its confirm button (and a place's apply) does not."""
    return request.form.get("preview") == "1" and request.form.get("confirmed") != "1"


def _preview(event, number, edit):
    """What a hand edit would change, with a button that confirms it (the same fields, confirmed)."""
    version = load_version(event, {"number": number})
    shown = places_svc.preview_edit(event, version, edit)
    fields = {k: v for k, v in request.form.items() if k not in ("csrf_token", "preview", "confirmed")}
    return render_template("facilitate/preview.html", event=event, version=version, preview=shown,
                           action=request.path, fields=fields, form=EmptyForm())


@bp.post("/versions/<int:number>/move")
@permission("event.facilitate")
def move(event, number):
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    slot, room = owned(Slot, event, form.slot.data), owned(Room, event, form.room.data)
    proposal, _sep, from_slot = (form.proposal.data or "").partition(":")
    another = from_slot == "new"
    if another:
        from_slot = ""
    if not proposal.isdigit() or (from_slot and not from_slot.isdigit()) or len(form.proposal.data) > 24:
        abort(400)
    table = form.table.data or None
    if _previewing():
        return _preview(event, number, places_svc.Edit(
            "move", int(proposal), slot.id, room.id, table, int(from_slot) if from_slot else None, another))
    return _edit(event, number, lambda v: svc.move_session(v, int(proposal), slot, room, table,
                                                          int(from_slot) if from_slot else None, another))


@bp.post("/versions/<int:number>/swap")
@permission("event.facilitate")
def swap(event, number):
    form = SwapForm()
    if not form.validate_on_submit():
        abort(400)
    if _previewing():
        return _preview(event, number, places_svc.Edit("swap", form.first.data, second_id=form.second.data))
    return _edit(event, number, lambda v: svc.swap_sessions(v, form.first.data, form.second.data))


@bp.post("/versions/<int:number>/sessions/<int:proposal_id>/<action>")
@permission("event.facilitate")
def session_action(event, number, proposal_id, action):
    if action not in ("pin", "unpin", "unschedule"):
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if action == "unschedule":
        version = load_version(event, {"number": number})
        item = next((it for it in review_version(event, version).items if it.proposal.id == proposal_id), None)
        if item is None:
            abort(404)
        if request.form.get("confirmed") != "1":
            return _preview(event, number, places_svc.Edit("unschedule", proposal_id))
        return _edit(event, number, lambda v: svc.unschedule_session(v, proposal_id))
    if _previewing():
        return _preview(event, number, places_svc.Edit(action, proposal_id))
    return _edit(event, number, lambda v: svc.set_pinned(v, proposal_id, action == "pin"))


@bp.post("/versions/<int:number>/improve")
@permission("event.facilitate")
def improve(event, number):
    """Improve the rest: a new run that keeps the sessions placed by hand where they are."""
    version = load_version(event, {"number": number})
    form = ImproveForm()
    if form.validate_on_submit():
        try:
            run = places_svc.improve_rest(event, version, form.time_limit.data)
        except ServiceError as err:
            flash(err.message, "error")
        else:
            return redirect(url_for("facilitate.run", slug=event.slug, run_id=run.id))
    else:
        flash(_("Give 1 to 600 seconds."), "error")
    return redirect(url_for("facilitate.version", slug=event.slug, number=number))


@bp.post("/versions/<int:number>/publish")
@permission("version.publish")
def publish(event, number):
    version = load_version(event, {"number": number})
    if EmptyForm().validate_on_submit():
        try:
            svc.publish_version(version)
        except ServiceError as err:
            flash(err.message, "error")
        else:
            flash(_("Version %(n)d is now the public schedule.", n=number), "success")
    return redirect(url_for("facilitate.version", slug=event.slug, number=number))
