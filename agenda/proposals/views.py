"""Proposals and votes: list, propose, edit, co-facilitators, review, merge, vote."""

import hashlib
import hmac

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from ..access import get_by_id, get_event
from ..auth.forms import EmptyForm
from ..extensions import db, login_manager
from ..forms import apply_field_error
from ..models import Facilitation, Notice, Proposal
from ..services import ServiceError
from ..services import proposals as svc
from .forms import InviteForm, MergeForm, ProposalForm, VoteForm

bp = Blueprint("proposals", __name__, url_prefix="/<slug>")

LISTED = ("proposed", "accepted")


def _member(event) -> bool:
    return current_user.is_authenticated and current_user.role_in(event) is not None


def _staff(event) -> bool:
    return current_user.is_authenticated and current_user.can_facilitate(event)


def _proposal(event, proposal_id) -> Proposal:
    """The event's proposal, as far as this user may know it exists."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.event_id != event.id:
        abort(404)
    if proposal.status not in LISTED and not (_staff(event) or proposal.is_facilitator(current_user)):
        abort(404)
    return proposal


def hidden_from_viewer(proposal, event) -> bool:
    """Participants-only proposals show neither title nor facilitators to outsiders."""
    return proposal.visibility == "participants" and not _member(event)


def _shuffle_key(proposal_id: int) -> bytes:
    """Random per participant but stable for them: early or alphabetical proposals gain nothing."""
    who = str(current_user.id) if current_user.is_authenticated else "anonymous"
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"{who}:{proposal_id}".encode(), hashlib.sha256).digest()


@bp.get("/proposals")
def index(slug):
    event = get_event(slug)
    speak = set(current_user.languages) if current_user.is_authenticated else set()
    filtered = request.args.get("f") == "1"
    language = request.args.get("language", "")
    fmt = request.args.get("format", "")
    # "Languages I speak" is on by default; an unticked box is simply absent from the query.
    mine_only = bool(speak) and (request.args.get("mine") == "1" if filtered else True)
    statuses = LISTED + (("declined",) if _staff(event) else ())
    proposals = db.session.scalars(
        select(Proposal).where(Proposal.event_id == event.id, Proposal.status.in_(statuses))).all()
    shown = [p for p in proposals
             if (not language or p.language == language) and (not fmt or p.format == fmt)
             and (not mine_only or p.language in speak)]
    shown.sort(key=lambda p: _shuffle_key(p.id))
    return render_template(
        "proposals/index.html", event=event, proposals=shown, total=len(proposals),
        voted=svc.voted_ids(current_user, event), counts=svc.vote_counts(event) if _staff(event) else None,
        language=language, fmt=fmt, mine_only=mine_only, speak=speak, member=_member(event),
        hidden=lambda p: hidden_from_viewer(p, event),
    )


@bp.route("/proposals/new", methods=["GET", "POST"])
@login_required
def new(slug):
    event = get_event(slug)
    if not _member(event):
        flash(_("Join the event before proposing a session."), "error")
        return redirect(url_for("events.home", slug=event.slug))
    if not event.proposals_open and not _staff(event):
        flash(_("Proposals are closed for this event."), "error")
        return redirect(url_for("proposals.index", slug=event.slug))
    form = ProposalForm().fill_choices(event)
    if not form.is_submitted() and current_user.languages:
        form.language.data = next((lang for lang in event.languages if lang in current_user.languages), None)
    if form.validate_on_submit():
        try:
            proposal = svc.create_proposal(event, current_user, form.data_for_service())
        except ServiceError as err:
            db.session.rollback()
            apply_field_error(form, err.field, err.message)
        else:
            flash(_("Your proposal is in. Invite co-facilitators from its page."), "success")
            return redirect(url_for("proposals.show", slug=event.slug, proposal_id=proposal.id))
    return render_template("proposals/form.html", event=event, form=form, proposal=None), \
        400 if form.errors or form.form_errors else 200


@bp.get("/proposals/<int:proposal_id>")
def show(slug, proposal_id):
    event = get_event(slug)
    proposal = _proposal(event, proposal_id)
    if proposal.status == "merged" and proposal.merged_into_id:
        return redirect(url_for("proposals.show", slug=slug, proposal_id=proposal.merged_into_id))
    staff = _staff(event)
    invitation = None
    if current_user.is_authenticated:
        invitation = next((f for f in proposal.facilitations
                           if f.user_id == current_user.id and f.state == "invited"), None)
    merge_form = None
    if staff:
        merge_form = MergeForm()
        others = db.session.scalars(select(Proposal).where(
            Proposal.event_id == event.id, Proposal.id != proposal.id,
            Proposal.status.in_(LISTED)).order_by(Proposal.title)).all()
        merge_form.other.choices = [SelectChoice(p.id, p.title) for p in others]
    return render_template(
        "proposals/show.html", event=event, proposal=proposal, hidden=hidden_from_viewer(proposal, event),
        voted=proposal.id in svc.voted_ids(current_user, event),
        count=svc.vote_counts(event).get(proposal.id, 0) if staff else None,
        can_edit=svc.can_edit(proposal, current_user), staff=staff, invitation=invitation,
        invite_form=InviteForm(), merge_form=merge_form, unmet=svc.unmet_needs(proposal),
        member=_member(event),
    )


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(slug, proposal_id):
    event = get_event(slug)
    proposal = _proposal(event, proposal_id)
    if not svc.can_edit(proposal, current_user):
        abort(403)
    known = set(svc.room_features(event))
    current = {
        "title": proposal.title, "description": proposal.description, "format": proposal.format,
        "language": proposal.language, "length": proposal.length, "max_group": proposal.max_group,
        "needs": [n for n in proposal.needs if n in known],
        "other_needs": ", ".join(n for n in proposal.needs if n not in known),
        "unavailable": [s.id for s in proposal.unavailable], "visibility": proposal.visibility,
    }
    form = ProposalForm(data=current).fill_choices(event)
    if form.validate_on_submit():
        try:
            svc.update_proposal(proposal, current_user, form.data_for_service())
        except ServiceError as err:
            db.session.rollback()
            apply_field_error(form, err.field, err.message)
        else:
            flash(_("The proposal is saved."), "success")
            return redirect(url_for("proposals.show", slug=slug, proposal_id=proposal.id))
    return render_template("proposals/form.html", event=event, form=form, proposal=proposal), \
        400 if form.errors or form.form_errors else 200


def _back(event, proposal):
    target = request.form.get("next", "")
    if target.startswith(f"/{event.slug}/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("proposals.show", slug=event.slug, proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/vote")
def vote(slug, proposal_id):
    event = get_event(slug)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.event_id != event.id:
        abort(404)
    form = VoteForm()
    wants_json = request.accept_mimetypes.best == "application/json"
    if not form.validate_on_submit() or form.want.data not in ("0", "1"):
        abort(400)
    want = form.want.data == "1"
    try:
        svc.set_vote(current_user, proposal, want)
    except ServiceError as err:
        if wants_json:
            return jsonify(ok=False, message=err.message), 409
        flash(err.message, "error")
        return _back(event, proposal)
    if wants_json:
        return jsonify(ok=True, voted=want)
    flash(_("Marked: you want to attend '%(title)s'.", title=proposal.title) if want
          else _("Unmarked '%(title)s'.", title=proposal.title), "success")
    return _back(event, proposal)


@bp.post("/proposals/<int:proposal_id>/withdraw")
@login_required
def withdraw(slug, proposal_id):
    event = get_event(slug)
    proposal = _proposal(event, proposal_id)
    if not svc.can_edit(proposal, current_user):
        abort(403)
    if EmptyForm().validate_on_submit():
        try:
            svc.withdraw_proposal(proposal, current_user)
        except ServiceError as err:
            flash(err.message, "error")
        else:
            flash(_("The proposal is withdrawn."), "success")
    return redirect(url_for("proposals.show", slug=slug, proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/invite")
@login_required
def invite(slug, proposal_id):
    event = get_event(slug)
    proposal = _proposal(event, proposal_id)
    if not svc.can_edit(proposal, current_user):
        abort(403)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitee = svc.invite_cofacilitator(proposal, current_user, form.email.data)
        except ServiceError as err:
            flash(err.message, "error")
        else:
            flash(_("%(name)s is invited.", name=invitee.display_name), "success")
    else:
        flash(_("Give the email of a registered participant."), "error")
    return redirect(url_for("proposals.show", slug=slug, proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/invitation/<answer>")
@login_required
def respond(slug, proposal_id, answer):
    event = get_event(slug)
    proposal = _proposal(event, proposal_id)
    if answer not in ("accept", "decline"):
        abort(404)
    if EmptyForm().validate_on_submit():
        try:
            svc.respond_to_invitation(proposal, current_user, answer == "accept")
        except ServiceError as err:
            flash(err.message, "error")
        else:
            flash(_("You co-facilitate this session.") if answer == "accept"
                  else _("You declined the invitation."), "success")
    return redirect(url_for("proposals.show", slug=slug, proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/review/<decision>")
@login_required
def review(slug, proposal_id, decision):
    event = get_event(slug)
    if not _staff(event):
        abort(403)
    proposal = _proposal(event, proposal_id)
    if decision not in ("accepted", "declined", "proposed"):
        abort(404)
    if EmptyForm().validate_on_submit():
        try:
            svc.review_proposal(proposal, decision)
        except ServiceError as err:
            flash(err.message, "error")
        else:
            flash(_("The proposal is now %(status)s.", status=_(decision)), "success")
    return redirect(url_for("proposals.show", slug=slug, proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/merge")
@login_required
def merge(slug, proposal_id):
    event = get_event(slug)
    if not _staff(event):
        abort(403)
    keep = _proposal(event, proposal_id)
    form = MergeForm()
    if form.validate_on_submit():
        other = get_by_id(Proposal, form.other.data)
        if other is None or other.event_id != event.id:
            flash(_("Choose another proposal of this event to merge with."), "error")
        else:
            try:
                svc.merge_proposals(keep, other)
            except ServiceError as err:
                flash(err.message, "error")
            else:
                flash(_("'%(other)s' is merged into this session.", other=other.title), "success")
    return redirect(url_for("proposals.show", slug=slug, proposal_id=keep.id))


@bp.get("/me/votes")
@login_required
def my_votes(slug):
    event = get_event(slug)
    ids = svc.voted_ids(current_user, event)
    proposals = db.session.scalars(select(Proposal).where(Proposal.id.in_(ids)).order_by(Proposal.title)).all()
    return render_template("proposals/my_votes.html", event=event, proposals=proposals)


@bp.get("/me/proposals")
@login_required
def my_proposals(slug):
    event = get_event(slug)
    mine = db.session.scalars(
        select(Facilitation).join(Proposal)
        .where(Facilitation.user_id == current_user.id, Proposal.event_id == event.id)
        .order_by(Facilitation.invited_at.desc())).all()
    notices = db.session.scalars(
        select(Notice).where(Notice.user_id == current_user.id, Notice.event_id == event.id)
        .order_by(Notice.created_at.desc(), Notice.id.desc())).all()
    return render_template("proposals/my_proposals.html", event=event, mine=mine, notices=notices)
