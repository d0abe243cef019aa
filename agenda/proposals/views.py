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
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from ..access import get_by_id, load_proposal
from ..enums import ProposalStatus
from ..extensions import db
from ..forms import EmptyForm, apply_field_error
from ..models import Facilitation, Notice, Proposal
from ..notices import notice_text
from ..permissions import LISTED, Denied, allowed, member, permission, staff
from ..scheduling import at_table, runs_allowed
from ..services import ServiceError
from ..services import proposals as svc
from ..services.replays import valid_key
from ..urls import safe_next
from .forms import InviteForm, MergeForm, ProposalForm, SchedulingForm, VoteForm

bp = Blueprint("proposals", __name__, url_prefix="/<slug>")

# Proposals per page of the list: a page stays under 30 KB on a slow phone (issue 22), even for
# an event of 1,500 proposals (issue 23).
PER_PAGE = 40


def hidden_from_viewer(proposal, event) -> bool:
    """Participants-only proposals show neither title nor facilitators to outsiders."""
    return proposal.visibility == "participants" and not member(current_user, event)


def _shuffle_key(proposal_id: int) -> bytes:
    """Random per participant but stable for them: early or alphabetical proposals gain nothing."""
    who = str(current_user.id) if current_user.is_authenticated else "anonymous"
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"{who}:{proposal_id}".encode(), hashlib.sha256).digest()


@bp.get("/proposals")
@permission("proposal.list")
def index(event):
    speak = set(current_user.languages) if current_user.is_authenticated else set()
    filtered = request.args.get("f") == "1"
    language = request.args.get("language", "")
    fmt = request.args.get("format", "")
    # "Languages I speak" is on by default, unless sessions may be interpreted (then the others are
    # shown, marked); an unticked box is simply absent from the query.
    from ..scheduling import language_rule

    interpreted = language_rule(event)
    mine_only = bool(speak) and (request.args.get("mine") == "1" if filtered else not interpreted)
    is_staff = staff(current_user, event)
    statuses = LISTED + ((ProposalStatus.DECLINED,) if is_staff else ())
    proposals = db.session.scalars(
        select(Proposal).where(Proposal.event_id == event.id, Proposal.status.in_(statuses))).all()
    shown = [p for p in proposals
             if (not language or p.language == language) and (not fmt or p.format == fmt)
             and (not mine_only or p.language in speak)]
    shown.sort(key=lambda p: _shuffle_key(p.id))
    pages = max(1, -(-len(shown) // PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    query = {k: v for k, v in request.args.items() if k in ("f", "language", "format", "mine")}
    return render_template(
        "proposals/index.html", event=event, proposals=shown[(page - 1) * PER_PAGE:page * PER_PAGE],
        total=len(proposals), matching=len(shown), page=page, pages=pages,
        page_url=lambda n: url_for("proposals.index", slug=event.slug, **query, **({"page": n} if n > 1 else {})),
        voted=svc.voted_ids(current_user, event), counts=svc.vote_counts(event) if is_staff else None,
        language=language, fmt=fmt, mine_only=mine_only, speak=speak, member=member(current_user, event),
        hidden=lambda p: hidden_from_viewer(p, event), interpreted=interpreted,
    )


@bp.route("/proposals/new", methods=["GET", "POST"])
@permission("proposal.create")
def new(event):
    form = ProposalForm().fill_choices(event)
    if not form.is_submitted() and current_user.languages:
        form.language.data = next((lang for lang in event.languages if lang in current_user.languages), None)
    if form.validate_on_submit():
        try:
            proposal = svc.create_proposal(event, current_user, form.data_for_service())
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            flash(_("Your proposal is in. Invite co-facilitators from its page."), "success")
            return redirect(url_for("proposals.show", slug=event.slug, proposal_id=proposal.id))
    return render_template("proposals/form.html", event=event, form=form, proposal=None), \
        400 if form.errors or form.form_errors else 200


@bp.get("/proposals/<int:proposal_id>")
@permission("proposal.view", load=load_proposal)
def show(event, proposal):
    if proposal.state == ProposalStatus.MERGED and proposal.merged_into_id:
        return redirect(url_for("proposals.show", slug=event.slug, proposal_id=proposal.merged_into_id))
    is_staff = staff(current_user, event)
    invitation = None
    if current_user.is_authenticated:
        invitation = next((f for f in proposal.facilitations
                           if f.user_id == current_user.id and f.state == "invited"), None)
    merge_form = None
    if is_staff:
        merge_form = MergeForm()
        others = db.session.scalars(select(Proposal).where(
            Proposal.event_id == event.id, Proposal.id != proposal.id,
            Proposal.status.in_(LISTED)).order_by(Proposal.title)).all()
        merge_form.other.choices = [SelectChoice(p.id, p.title) for p in others]
    return render_template(
        "proposals/show.html", event=event, proposal=proposal, hidden=hidden_from_viewer(proposal, event),
        voted=proposal.id in svc.voted_ids(current_user, event),
        count=svc.vote_counts(event).get(proposal.id, 0) if is_staff else None,
        staff=is_staff, invitation=invitation, invite_form=InviteForm(), merge_form=merge_form,
        unmet=svc.unmet_needs(proposal), member=member(current_user, event),
        scheduling_form=_scheduling_form(event, proposal) if is_staff else None,
        runs_allowed=runs_allowed(proposal), at_table=at_table(proposal),
    )


def _scheduling_form(event, proposal, formdata=None) -> SchedulingForm:
    form = SchedulingForm(formdata=formdata, data={"runs": proposal.runs, "after": proposal.after_id or 0})
    others = db.session.scalars(select(Proposal).where(
        Proposal.event_id == event.id, Proposal.id != proposal.id,
        Proposal.status.in_(LISTED)).order_by(Proposal.title)).all()
    form.after.choices = [SelectChoice(0, _("no other session"))] + [SelectChoice(p.id, p.title) for p in others]
    return form


@bp.post("/proposals/<int:proposal_id>/scheduling")
@permission("proposal.review", load=load_proposal)
def scheduling(event, proposal):
    """Runs allowed and series order, set by the facilitators."""
    form = _scheduling_form(event, proposal, request.form)
    if form.validate_on_submit():
        try:
            svc.set_scheduling(proposal, form.runs.data, form.after.data or None)
        except ServiceError as err:
            flash(err.message, "error")
        else:
            flash(_("Saved: the next schedule you generate takes it into account."), "success")
    else:
        flash(next(iter(form.errors.values()))[0], "error")
    return redirect(url_for("proposals.show", slug=event.slug, proposal_id=proposal.id) + "#scheduling")


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@permission("proposal.edit", load=load_proposal)
def edit(event, proposal):
    known = set(svc.room_features(event))
    current = {
        "title": proposal.title, "description": proposal.description, "format": proposal.format,
        "language": proposal.language, "length": proposal.length, "max_group": proposal.max_group,
        "needs": [n for n in proposal.needs if n in known],
        "other_needs": ", ".join(n for n in proposal.needs if n not in known),
        "unavailable": [s.id for s in proposal.unavailable], "visibility": proposal.visibility,
        "prefer": [s.id for s in proposal.preferred], "prefer_reason": proposal.prefer_reason,
        "interpretation": proposal.interpretation,
    }
    form = ProposalForm(data=current).fill_choices(event)
    if form.validate_on_submit():
        try:
            svc.update_proposal(proposal, current_user, form.data_for_service())
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        except PermissionError:
            abort(404)
        else:
            flash(_("The proposal is saved."), "success")
            return redirect(url_for("proposals.show", slug=event.slug, proposal_id=proposal.id))
    return render_template("proposals/form.html", event=event, form=form, proposal=proposal), \
        400 if form.errors or form.form_errors else 200


def _back(event, proposal):
    """Back where the form was sent from (the list, at this proposal), or to the proposal's page."""
    target = safe_next(request.form.get("next", ""))
    if target and target.startswith(f"/{event.slug}/"):
        # The list sends one `next` for all its buttons: the anchor brings the reader back to this one.
        return redirect(target if "#" in target else f"{target}#p{proposal.id}")
    return redirect(url_for("proposals.show", slug=event.slug, proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/vote")
@permission("proposal.vote", load=load_proposal)
def vote(event, proposal):
    form = VoteForm()
    wants_json = request.accept_mimetypes.best == "application/json"
    if not form.validate_on_submit() or form.want.data not in ("0", "1"):
        abort(400)
    want = form.want.data == "1"
    key = request.form.get("idempotency_key")  # sent by static/offline.js with a vote kept offline
    if not valid_key(key):
        abort(400)
    try:
        voted = svc.set_vote(current_user, proposal, want, key)
    except ServiceError as err:
        if wants_json:
            return jsonify(ok=False, message=err.message), 409
        flash(err.message, "error")
        return _back(event, proposal)
    if wants_json:
        return jsonify(ok=True, voted=voted)
    title = proposal.title if not hidden_from_viewer(proposal, event) else _("the session")
    flash(_("Marked: you want to attend '%(title)s'.", title=title) if want
          else _("Unmarked '%(title)s'.", title=title), "success")
    return _back(event, proposal)


@bp.post("/proposals/<int:proposal_id>/withdraw")
@permission("proposal.withdraw", load=load_proposal)
def withdraw(event, proposal):
    """Asks first (what it does to the schedule, who is told); withdraws once confirmed."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    if request.form.get("confirmed") != "1":
        return render_template("manage/confirm.html", event=event, kind="withdraw", proposal=proposal,
                               impact=svc.withdraw_impact(proposal), people=len(svc.agenda_people(proposal)) - 1,
                               action=url_for("proposals.withdraw", slug=event.slug, proposal_id=proposal.id),
                               back=url_for("proposals.show", slug=event.slug, proposal_id=proposal.id),
                               form=EmptyForm())
    try:
        svc.withdraw_proposal(proposal, current_user)
    except ServiceError as err:
        flash(err.message, "error")
    except PermissionError:
        abort(404)
    else:
        flash(_("The proposal is withdrawn. Its co-facilitators and the people who wanted to attend are told."),
              "success")
    return redirect(url_for("proposals.show", slug=event.slug, proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/leave")
@permission("proposal.leave", load=load_proposal)
def leave(event, proposal):
    if EmptyForm().validate_on_submit():
        try:
            svc.leave_proposal(proposal, current_user)
        except ServiceError as err:
            flash(err.message, "error")
        else:
            flash(_("You no longer co-facilitate '%(title)s'.", title=proposal.title), "success")
    return redirect(url_for("proposals.show", slug=event.slug, proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/invite")
@permission("proposal.invite", load=load_proposal)
def invite(event, proposal):
    form = InviteForm()
    if form.validate_on_submit():
        try:
            svc.invite_cofacilitator(proposal, current_user, form.email.data)
        except ServiceError as err:
            flash(err.message, "error")
        except PermissionError:
            abort(404)
        else:
            # The same words whether or not the address belongs to a participant.
            flash(_("%(email)s is invited: a participant finds the invitation under their proposals, and "
                    "anyone else gets an e-mail that tells them how to join.", email=form.email.data.strip()),
                  "success")
    else:
        flash(str(form.email.errors[0]) if form.email.errors else _("Give an email address."), "error")
    return redirect(url_for("proposals.show", slug=event.slug, proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/invitation/<answer>")
@permission("proposal.respond", load=load_proposal)
def respond(event, proposal, answer):
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
    return redirect(url_for("proposals.show", slug=event.slug, proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/review/<decision>")
@permission("proposal.review", load=load_proposal)
def review(event, proposal, decision):
    if decision not in svc.DECISIONS:
        abort(404)
    if EmptyForm().validate_on_submit():
        try:
            svc.review_proposal(proposal, decision)
        except ServiceError as err:
            flash(err.message, "error")
        else:
            flash({ProposalStatus.ACCEPTED: _("The proposal is accepted."),
                   ProposalStatus.DECLINED: _("The proposal is declined."),
                   ProposalStatus.PROPOSED: _("The proposal is open again.")}[decision], "success")
    return redirect(url_for("proposals.show", slug=event.slug, proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/merge")
@permission("proposal.merge", load=load_proposal)
def merge(event, proposal):
    form = MergeForm()
    if not form.validate_on_submit():
        abort(400)
    other = get_by_id(Proposal, form.other.data)
    try:
        if other is None:
            raise ServiceError(_("Choose another proposal of this event to merge with."))
        svc.check_merge(proposal, other)
    except ServiceError as err:
        flash(err.message, "error")
        return redirect(url_for("proposals.show", slug=event.slug, proposal_id=proposal.id))
    if request.form.get("confirmed") != "1":
        return render_template("manage/confirm.html", event=event, kind="merge", proposal=proposal, other=other,
                               impact=None, form=form,
                               action=url_for("proposals.merge", slug=event.slug, proposal_id=proposal.id),
                               back=url_for("proposals.show", slug=event.slug, proposal_id=proposal.id))
    try:
        svc.merge_proposals(proposal, other)
    except ServiceError as err:
        flash(err.message, "error")
    else:
        flash(_("'%(other)s' is merged into this session.", other=other.title), "success")
    return redirect(url_for("proposals.show", slug=event.slug, proposal_id=proposal.id))


@bp.get("/me/votes")
@permission("agenda.read")
def my_votes(event):
    ids = svc.voted_ids(current_user, event)
    proposals = db.session.scalars(select(Proposal).where(Proposal.id.in_(ids)).order_by(Proposal.title)).all()
    return render_template("proposals/my_votes.html", event=event, proposals=proposals)


@bp.get("/me/proposals")
@permission("agenda.read")
def my_proposals(event):
    mine = db.session.scalars(
        select(Facilitation).join(Proposal)
        .where(Facilitation.user_id == current_user.id, Proposal.event_id == event.id)
        .order_by(Facilitation.invited_at.desc())).all()
    notices = db.session.scalars(
        select(Notice).where(Notice.user_id == current_user.id, Notice.event_id == event.id)
        .order_by(Notice.created_at.desc(), Notice.id.desc())).all()
    return render_template("proposals/my_proposals.html", event=event, mine=mine,
                           notices=[(n, notice_text(n)) for n in notices])


__all__ = ["Denied", "allowed", "bp"]
