"""Each hard rule: a schedule that respects it passes the checker, one that breaks it does not."""

from solver import Assignment, Participant, Room, Solution, find_violations, score

from .conftest import make_problem, session


def sol(*placed, unscheduled=()):
    return Solution("feasible", tuple(Assignment(*a) for a in placed), tuple(unscheduled))


def test_every_session_once():
    p = make_problem([session("a", "x"), session("b", "y")])
    assert find_violations(p, sol(("a", "d1-1", "hall"), unscheduled=["b"])) == []
    assert find_violations(p, sol(("a", "d1-1", "hall"))) == [
        "'Session b' is neither scheduled nor listed as unscheduled."]
    assert find_violations(p, sol(("a", "d1-1", "hall"), ("b", "d1-2", "hall"), unscheduled=["a"])) == [
        "'Session a' appears 2 times in the solution."]


def test_fixed_sessions_stay_fixed():
    p = make_problem([session("a", "x", fixed=("d1-2", "hall"))])
    assert find_violations(p, sol(("a", "d1-2", "hall"))) == []
    assert find_violations(p, sol(("a", "d1-1", "hall"))) == [
        "'Session a' is fixed to slot d1-2 in room hall."]


def test_one_session_per_room_and_slot():
    p = make_problem([session("a", "x"), session("b", "y")])
    assert find_violations(p, sol(("a", "d1-1", "hall"), ("b", "d1-1", "tent"))) == []
    assert find_violations(p, sol(("a", "d1-1", "hall"), ("b", "d1-1", "hall"))) == [
        "Room hall holds both 'Session a' and 'Session b' in slot d1-1."]


def test_two_slot_session_blocks_its_room_in_both_slots_and_stays_in_its_day():
    p = make_problem([session("a", "x", length=2), session("b", "y")])
    assert find_violations(p, sol(("a", "d1-1", "hall"), ("b", "d1-1", "tent"))) == []
    assert find_violations(p, sol(("a", "d1-1", "hall"), ("b", "d1-2", "hall"))) == [
        "Room hall holds both 'Session a' and 'Session b' in slot d1-2."]
    assert find_violations(p, sol(("a", "d1-2", "hall"), ("b", "d1-1", "hall"))) == [
        "'Session a' runs past the end of its day (2 slots from d1-2)."]


def test_room_available_and_equipped():
    rooms = (Room("hall", 100, frozenset({"projector"}), frozenset({"d1-1"})), Room("tent", 10))
    p = make_problem([session("a", "x", needs=["projector"])], rooms=rooms)
    assert find_violations(p, sol(("a", "d1-2", "hall"))) == []
    assert find_violations(p, sol(("a", "d1-1", "hall"))) == [
        "Room hall is not available in slot d1-1 ('Session a')."]
    assert find_violations(p, sol(("a", "d1-2", "tent"))) == [
        "'Session a' needs projector, which room tent lacks."]


def test_facilitator_in_one_place_and_available():
    people = [Participant("x", unavailable=frozenset({"d2-1"}))]
    p = make_problem([session("a", "x"), session("b", "x"), session("c", "y", unavailable=["d1-2"])],
                     participants=people)
    ok = sol(("a", "d1-1", "hall"), ("b", "d1-2", "hall"), ("c", "d1-1", "tent"))
    assert find_violations(p, ok) == []
    clash = sol(("a", "d1-1", "hall"), ("b", "d1-1", "tent"), ("c", "d2-1", "hall"))
    assert find_violations(p, clash) == ["Facilitator x is in both 'Session a' and 'Session b' in slot d1-1."]
    away = sol(("a", "d2-1", "hall"), ("b", "d1-1", "hall"), ("c", "d1-2", "tent"))
    assert find_violations(p, away) == [
        "Facilitator x of 'Session a' is unavailable in slot d2-1.",
        "'Session c' cannot take place in slot d1-2."]


def test_the_past_stays_and_nothing_new_goes_there():
    from solver import Placement

    p = make_problem([session("a", "x"), session("b", "y")],
                     previous={"a": Placement("d1-1", "hall")}, now="d1-2")
    assert find_violations(p, sol(("a", "d1-1", "hall"), ("b", "d1-2", "hall"))) == []
    assert find_violations(p, sol(("a", "d1-1", "tent"), ("b", "d1-2", "hall"))) == [
        "'Session a' has already taken place in slot d1-1, room hall; it cannot change."]
    assert find_violations(p, sol(("a", "d1-1", "hall"), ("b", "d1-1", "tent"))) == [
        "'Session b' is placed in slot d1-1, which has already started."]


def test_score_counts_attendable_votes_overflow_and_moves():
    from solver import Placement

    voters = [Participant(f"v{i}", votes=("a", "b")) for i in range(3)]
    # x facilitates a and votes for b: that vote is not counted, and a blocks x's slot.
    voters.append(Participant("x", votes=("b", "c")))
    p = make_problem([session("a", "x"), session("b", "y"), session("c", "y")], participants=voters,
                     rooms=(Room("hall", 100), Room("tent", 2)),
                     previous={"b": Placement("d1-2", "hall"), "c": Placement("d2-1", "hall")})
    # a and b in the same slot: each voter attends one of them.
    s = score(p, sol(("a", "d1-1", "tent"), ("b", "d1-1", "hall"), ("c", "d1-2", "hall")))
    assert (s.attendable_votes, s.total_votes) == (3 + 1, 8)
    assert s.overflow == 1  # a has 3 votes in a room for 2
    assert (s.slot_moves, s.room_moves) == (2, 0)
    apart = score(p, sol(("a", "d1-1", "tent"), ("b", "d1-2", "hall"), ("c", "d2-1", "tent")))
    assert apart.attendable_votes == 3 * 2 + 2
    assert (apart.slot_moves, apart.room_moves) == (0, 1)
    assert apart.objective == 8
