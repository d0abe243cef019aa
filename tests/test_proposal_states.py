"""Proposal states: one table of transitions, one rule for who may vote, and checks made on the rows
as they are inside the transaction (another request may have changed them since the page was read)."""

import pytest
from sqlalchemy import update

from agenda.enums import TRANSITIONS, IllegalTransition, ProposalStatus
from agenda.extensions import db
from agenda.models import Facilitation, Proposal, Vote
from agenda.services import ServiceError
from agenda.services import proposals as svc

from . import test_proposals

event, people, propose = test_proposals.event, test_proposals.people, test_proposals.propose


@pytest.fixture(autouse=True)
def in_a_request(app):
    """Services write e-mails with absolute links: call them as a view would."""
    with app.test_request_context():
        yield


def behind_its_back(statement) -> None:
    """Another request's committed change, on its own connection: this session's rows go stale."""
    with db.engine.begin() as connection:
        connection.execute(statement)


def set_status(proposal_id: int, status: str):
    return update(Proposal).where(Proposal.id == proposal_id).values(status=status)


def test_the_state_table_refuses_an_illegal_transition(people):
    users, c = people
    p = db.session.get(Proposal, propose(c["a"]))
    assert ProposalStatus.PROPOSED.can_become(ProposalStatus.ACCEPTED)
    assert not any(TRANSITIONS[ProposalStatus.WITHDRAWN]) and not any(TRANSITIONS[ProposalStatus.MERGED])
    svc.withdraw_proposal(p, users["a"])
    with pytest.raises(IllegalTransition):
        db.session.get(Proposal, p.id).move_to(ProposalStatus.ACCEPTED)
    db.session.rollback()
    with pytest.raises(ServiceError, match="no longer open"):
        svc.review_proposal(db.session.get(Proposal, p.id), "accepted")
    assert db.session.get(Proposal, p.id).status == "withdrawn"


def test_with_voting_closed_no_mark_button_and_the_service_says_why(people, event):
    users, c = people
    pid = propose(c["a"])
    assert f"/proposals/{pid}/vote" in c["c"].get("/con/proposals").get_data(as_text=True)
    assert c["c"].post(f"/con/proposals/{pid}/vote", data={"want": "1"}).status_code == 302
    event.voting_open = False
    db.session.commit()
    for path in ("/con/proposals", f"/con/proposals/{pid}"):
        assert f"/proposals/{pid}/vote" not in c["d"].get(path).get_data(as_text=True), path
    with pytest.raises(ServiceError, match="Voting is closed"):
        svc.set_vote(users["d"], db.session.get(Proposal, pid), True)
    # A vote already given can still be taken back, from "My votes".
    assert f"/proposals/{pid}/vote" in c["c"].get("/con/me/votes").get_data(as_text=True)
    svc.set_vote(users["c"], db.session.get(Proposal, pid), False)
    assert db.session.get(Vote, (users["c"].id, pid)) is None


def test_review_checks_the_proposal_as_it_is_now(people):
    """The facilitator's page was read before the proposer withdrew: accepting must not revive it."""
    users, c = people
    pid = propose(c["a"])
    stale = db.session.get(Proposal, pid)
    assert stale.status == "proposed"
    behind_its_back(set_status(pid, "withdrawn"))
    with pytest.raises(ServiceError, match="no longer open"):
        svc.review_proposal(stale, "accepted")
    assert db.session.get(Proposal, pid).status == "withdrawn"


def test_withdraw_checks_the_proposal_as_it_is_now(people):
    users, c = people
    keep, pid = propose(c["b"]), propose(c["a"])
    stale = db.session.get(Proposal, pid)
    behind_its_back(set_status(pid, "merged"))
    with pytest.raises(ServiceError, match="no longer open"):
        svc.withdraw_proposal(stale, users["a"])
    assert db.session.get(Proposal, pid).status == "merged"
    assert keep


def test_merge_checks_both_proposals_as_they_are_now(people):
    users, c = people
    keep, other = propose(c["a"]), propose(c["b"])
    stale_keep, stale_other = db.session.get(Proposal, keep), db.session.get(Proposal, other)
    behind_its_back(set_status(other, "withdrawn"))
    with pytest.raises(ServiceError, match="no longer open"):
        svc.merge_proposals(stale_keep, stale_other)
    assert db.session.get(Proposal, other).status == "withdrawn"
    assert db.session.get(Proposal, other).merged_into_id is None


def test_an_invitation_answer_checks_the_invitation_as_it_is_now(people):
    """Declined on another device meanwhile: a late "accept" must not make them a co-facilitator."""
    users, c = people
    pid = propose(c["a"])
    svc.invite_cofacilitator(db.session.get(Proposal, pid), users["a"], users["b"].email)
    invitation = db.session.get(Facilitation, (pid, users["b"].id))
    assert invitation.state == "invited"
    behind_its_back(update(Facilitation).where(Facilitation.proposal_id == pid,
                                               Facilitation.user_id == users["b"].id).values(state="declined"))
    with pytest.raises(ServiceError, match="no invitation"):
        svc.respond_to_invitation(db.session.get(Proposal, pid), users["b"], True)
    assert db.session.get(Facilitation, (pid, users["b"].id)).state == "declined"
