"""Each hard rule: a schedule that respects it passes the checker, one that breaks it does not."""

from solver import Assignment, Participant, Room, Solution, describe, score
from solver import find_violations as records

from .conftest import make_problem, session


def sol(*placed, unscheduled=()):
    return Solution("feasible", tuple(Assignment(*a) for a in placed), tuple(unscheduled))


def find_violations(problem, solution):
    """The checker's records, in the words the command line prints."""
    return [describe(v, problem) for v in records(problem, solution)]


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
    assert sorted(find_violations(p, away)) == [
        "'Session c' cannot take place in slot d1-2.",
        "Facilitator x of 'Session a' is unavailable in slot d2-1."]


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


# Tables, repeated runs, series and preferred times (the optional keys of solver-io.md)

HALL = (Room("hall", 100, frozenset({"projector"}), tables=3), Room("tent", 10))


def at_table(sid, *facilitators, runs=1, **kw):
    from dataclasses import replace

    return replace(session(sid, *facilitators, **kw), at_table=True, runs=runs)


def test_a_hall_holds_table_sessions_on_distinct_tables_or_one_ordinary_session():
    p = make_problem([at_table("a", "x"), at_table("b", "y"), session("c", "z")], rooms=HALL)
    assert find_violations(p, sol(("a", "d1-1", "hall", 1), ("b", "d1-1", "hall", 2),
                                   ("c", "d1-2", "hall"))) == []
    assert find_violations(p, sol(("a", "d1-1", "hall", 2), ("b", "d1-1", "hall", 2),
                                   ("c", "d1-2", "hall"))) == [
        "Table 2 of hall holds both 'Session a' and 'Session b' in slot d1-1."]
    assert find_violations(p, sol(("a", "d1-1", "hall", 1), ("b", "d1-2", "hall", 1),
                                   ("c", "d1-1", "hall"))) == [
        "Hall hall holds the ordinary session 'Session c' and the table session 'Session a' in slot d1-1."]


def test_a_table_session_needs_a_table_of_a_hall():
    p = make_problem([at_table("a", "x"), session("c", "z")], rooms=HALL)
    assert find_violations(p, sol(("a", "d1-1", "tent", 1), unscheduled=["c"])) == [
        "'Session a' runs at a table, so it needs a numbered table of a hall (room tent has none)."]
    assert find_violations(p, sol(("a", "d1-1", "hall", 4), unscheduled=["c"])) == [
        "'Session a' is at table 4, but hall has tables 1 to 3."]
    assert find_violations(p, sol(("c", "d1-1", "hall", 1), unscheduled=["a"])) == [
        "'Session c' is not a table session but is given a table in hall."]


def test_repeated_runs_are_counted_and_in_different_slots():
    p = make_problem([at_table("a", "x", runs=2), session("l", "y", length=2)], rooms=HALL)
    two = sol(("a", "d1-1", "hall", 1), ("a", "d1-2", "hall", 1), unscheduled=["l"])
    assert find_violations(p, two) == []
    three = sol(("a", "d1-1", "hall", 1), ("a", "d1-2", "hall", 1), ("a", "d2-1", "hall", 1),
                unscheduled=["l"])
    assert find_violations(p, three) == ["'Session a' runs 3 times; it may run at most 2 times."]
    same = sol(("a", "d1-1", "hall", 1), ("a", "d1-1", "hall", 2), unscheduled=["l"])
    assert find_violations(p, same) == ["'Session a' runs twice in slot d1-1."]
    # A facilitator is in every run of their session: two runs of theirs cannot share a slot with another.
    q = make_problem([at_table("a", "x", runs=2), at_table("b", "x")], rooms=HALL)
    assert find_violations(q, sol(("a", "d1-1", "hall", 1), ("a", "d1-2", "hall", 1),
                                  ("b", "d1-2", "hall", 2))) == [
        "Facilitator x is in both 'Session a' and 'Session b' in slot d1-2."]


def test_part_two_starts_after_every_run_of_part_one():
    from dataclasses import replace

    p = make_problem([session("one", "x"), replace(session("two", "x"), after="one")])
    assert find_violations(p, sol(("one", "d1-1", "hall"), ("two", "d1-2", "hall"))) == []
    assert find_violations(p, sol(("one", "d1-2", "hall"), ("two", "d1-1", "hall"))) == [
        "'Session two' must start after every run of 'Session one'."]
    assert find_violations(p, sol(("two", "d1-1", "hall"), unscheduled=["one"])) == []


def test_score_matches_voters_to_runs_and_counts_preference_misses():
    from dataclasses import replace

    # Everyone wants a (two runs) and b (one run, at d1-1): a's second run makes both attendable.
    voters = [Participant(f"v{i}", votes=("a", "b")) for i in range(4)]
    p = make_problem([at_table("a", "x", runs=2), replace(session("b", "y"), prefer=frozenset({"d1-2"}))],
                     participants=voters, rooms=HALL)
    once = score(p, sol(("a", "d1-1", "hall", 1), ("b", "d1-1", "tent")))
    twice = score(p, sol(("a", "d1-1", "hall", 1), ("a", "d1-2", "hall", 1), ("b", "d1-1", "tent")))
    assert (once.attendable_votes, twice.attendable_votes) == (4, 8)
    assert (twice.extra_runs, twice.preference_misses) == (1, 1)
    assert twice.objective == 8 - 2 * 1
    assert twice.as_dict()["runs"] == 1 and twice.as_dict()["preference_misses"] == 1
