"""Languages people understand, and interpretation (solver-io.md): rules 8–10, scoring, the search."""

import json

import pytest

from solver import (
    Assignment,
    InstanceError,
    Options,
    Participant,
    Room,
    Session,
    Solution,
    describe,
    find_violations,
    problem_from_dict,
    problem_to_dict,
    score,
    solution_from_dict,
    solution_to_dict,
    solve,
)
from solver.__main__ import main
from solver.baseline import baseline
from solver.data import Compiled
from solver.generate import generate
from solver.interpret import fill_interpreters
from solver.problem import Interpretation, Interpreter

from .conftest import make_problem

BOOTHS = (Room("hall", 100, frozenset({"booths"})), Room("tent", 100))


def spanish(sid="es1", *facilitators, interpretation=True):
    return Session(sid, f"Sesión {sid}", 1, "es", frozenset(), tuple(facilitators or ("host",)),
                   interpretation=interpretation)


def voters(n, languages, votes, prefix="v"):
    return [Participant(f"{prefix}{k}", tuple(languages), frozenset(), tuple(votes)) for k in range(n)]


def trilingual(sessions, participants, interpreters=(), **kw):
    return make_problem(sessions, participants, rooms=kw.pop("rooms", BOOTHS), language_rule=True,
                        interpreters=tuple(interpreters), interpretation_feature=kw.pop("feature", "booths"), **kw)


def run(session, slot, room, *interpretation):
    return Assignment(session, slot, room, None, tuple(Interpretation(i, into) for i, into in interpretation))


def words(problem, *assignments, unscheduled=()):
    return [describe(v, problem) for v in find_violations(problem, Solution("feasible", assignments, unscheduled))]


EN_ES = Interpreter("ana", (("en", "es"),))


def test_instance_keys_are_read_written_and_bad_ones_named():
    p = trilingual([spanish("es1", interpretation=False)], voters(1, ["fr"], ["es1"]),
                   [Interpreter("ana", (("en", "es"), ("es", "fr")), frozenset({"d1-1"}), 3, "v0")])
    data = problem_to_dict(p)
    assert data["language_rule"] is True and data["interpretation_feature"] == "booths"
    assert data["interpreters"] == [{"id": "ana", "pairs": [["en", "es"], ["es", "fr"]], "unavailable": ["d1-1"],
                                     "max_slots_per_day": 3, "participant": "v0"}]
    assert data["sessions"][0]["interpretation"] is False
    assert problem_from_dict(json.loads(json.dumps(data))) == p
    # An instance without the keys writes none of them.
    plain = problem_to_dict(make_problem([spanish()]))
    assert not {"language_rule", "interpreters", "interpretation_feature"} & plain.keys()
    assert "interpretation" not in plain["sessions"][0]
    for bad, where in (({"pairs": [["en", "en"]]}, "interpreters[0].pairs[0]"),
                       ({"pairs": [["en"]]}, "interpreters[0].pairs[0]"),
                       ({"pairs": []}, "interpreters[0].pairs"),
                       ({"pairs": [["en", "es"]], "max_slots_per_day": 0}, "interpreters[0].max_slots_per_day"),
                       ({"pairs": [["en", "es"]], "participant": "nobody"}, "interpreters[0].participant"),
                       ({"pairs": [["en", "es"]], "unavailable": ["d9"]}, "interpreters[0].unavailable[0]")):
        broken = dict(data, interpreters=[{"id": "x", **bad}])
        with pytest.raises(InstanceError, match=where.replace("[", r"\[").replace("]", r"\]")):
            problem_from_dict(broken)
    solution = Solution("feasible", (run("es1", "d1-1", "hall", ("ana", "fr")),))
    assert solution_from_dict(solution_to_dict(solution)).assignments == solution.assignments
    assert "interpretation" not in solution_to_dict(Solution("feasible", (run("es1", "d1-1", "hall"),)))[
        "assignments"][0]


def test_rule_8_an_interpreter_has_the_pair_is_available_in_one_run_at_a_time_and_within_the_limit():
    p = trilingual([spanish("es1"), spanish("es2", "h2"), spanish("es3", "h3")], [],
                   [Interpreter("ana", (("en", "es"),), frozenset({"d1-2"}), max_slots_per_day=1)],
                   rooms=(Room("hall", 100, frozenset({"booths"})), Room("tent", 100, frozenset({"booths"}))))
    assert words(p, run("es1", "d1-1", "hall", ("ana", "en")), run("es2", "d2-1", "hall", ("ana", "en")),
                 unscheduled=["es3"]) == []
    assert words(p, run("es1", "d1-1", "hall", ("ana", "fr")), unscheduled=["es2", "es3"]) == [
        "Interpreter ana does not interpret from es into fr ('Sesión es1')."]
    assert words(p, run("es1", "d1-2", "hall", ("ana", "en")), unscheduled=["es2", "es3"]) == [
        "Interpreter ana is not available in slot d1-2 ('Sesión es1')."]
    assert words(p, run("es1", "d1-1", "hall", ("ana", "en")), run("es2", "d1-1", "tent", ("ana", "en")),
                 unscheduled=["es3"]) == [
        "Interpreter ana interprets both 'Sesión es1' and 'Sesión es2' in slot d1-1.",
        "Interpreter ana works 2 slots on 2017-11-07; the limit is 1."]
    assert words(p, run("es1", "d1-1", "hall", ("bob", "en")), unscheduled=["es2", "es3"]) == [
        "'Sesión es1' is interpreted by 'bob', who is not an interpreter of this instance."]


def test_rule_9_one_interpreter_per_language_not_its_own_not_refused_and_only_with_booths():
    both = Interpreter("bea", (("en", "es"),))
    p = trilingual([spanish("es1"), spanish("no", "h2", interpretation=False)], [], [EN_ES, both])
    assert words(p, run("es1", "d1-1", "hall", ("ana", "en")), unscheduled=["no"]) == []
    assert words(p, run("es1", "d1-1", "hall", ("ana", "en"), ("bea", "en")), unscheduled=["no"]) == [
        "'Sesión es1' has two interpreters into en in slot d1-1."]
    assert words(p, run("es1", "d1-1", "hall", ("ana", "es")), unscheduled=["no"])[-1] == (
        "'Sesión es1' is interpreted into its own language, es.")
    assert words(p, run("es1", "d1-1", "tent", ("ana", "en")), unscheduled=["no"]) == [
        "'Sesión es1' is interpreted in room tent, which has no booths."]
    assert words(p, run("no", "d1-1", "hall", ("ana", "en")), unscheduled=["es1"]) == [
        "'Sesión no' is interpreted, but its facilitators asked for no interpretation."]


def test_rule_10_an_interpreter_who_is_a_participant_facilitates_nothing_while_interpreting():
    p = trilingual([spanish("es1"), Session("mine", "Mine", 1, "en", facilitators=("ana-p",))], [],
                   [Interpreter("ana", (("en", "es"),), participant="ana-p")])
    assert words(p, run("es1", "d1-1", "hall", ("ana", "en")), run("mine", "d1-2", "tent")) == []
    assert words(p, run("es1", "d1-1", "hall", ("ana", "en")), run("mine", "d1-1", "tent")) == [
        "Interpreter ana interprets 'Sesión es1' while facilitating 'Mine' in slot d1-1."]


def test_under_the_rule_a_vote_counts_only_in_a_run_the_voter_understands():
    people = [*voters(2, ["fr"], ["es1"], "fr"), *voters(1, ["es", "fr"], ["es1"], "es"),
              *voters(1, [], ["es1"], "any"), Participant("ana-p", ("en", "es"), frozenset(), ("es1",))]
    interpreters = [Interpreter("ana", (("es", "fr"),), participant="ana-p")]
    p = trilingual([spanish("es1")], people, interpreters)
    plain = score(p, Solution("feasible", (run("es1", "d1-1", "hall"),)))
    # The French speakers do not understand it: 3 of 5 votes (the one with no languages understands all).
    assert (plain.attendable_votes, plain.not_understood, plain.interpreted_runs) == (3, 2, 0)
    interpreted = score(p, Solution("feasible", (run("es1", "d1-1", "hall", ("ana", "fr")),)))
    # Interpreted into French, they follow; the interpreter, busy interpreting, attends nothing else.
    assert (interpreted.attendable_votes, interpreted.not_understood, interpreted.interpreted_runs) == (4, 0, 1)
    assert interpreted.as_dict()["not_understood"] == 0 and interpreted.as_dict()["interpreted_runs"] == 1
    # Without the rule every vote counts, as before, and the figures say nothing of languages.
    old = make_problem([spanish("es1")], people)
    before = score(old, Solution("feasible", (run("es1", "d1-1", "hall"),)))
    assert before.attendable_votes == 5
    assert "not_understood" not in before.as_dict()


def test_the_solver_puts_a_session_where_and_when_an_interpreter_can_take_it():
    # Ten English speakers want a Spanish session; the only interpreter works in slot d1-2, and only
    # the hall has booths. The tent is bigger for the rest, but interpretation is worth more.
    people = voters(10, ["en"], ["es1"]) + voters(2, ["es"], ["es1", "other"], "s")
    other = Session("other", "Other", 1, "es", frozenset(), ("h2",))
    p = trilingual([spanish("es1"), other], people,
                   [Interpreter("ana", (("en", "es"),), frozenset({"d1-1", "d2-1"}))],
                   rooms=(Room("hall", 20, frozenset({"booths"})), Room("tent", 200)))
    solution = solve(p, Options(time_limit=2, work=20_000))
    assert find_violations(p, solution) == []
    es1 = next(a for a in solution.assignments if a.session == "es1")
    assert (es1.slot, es1.room, es1.interpretation) == ("d1-2", "hall", (Interpretation("ana", "en"),))
    figures = score(p, solution)
    assert solution.stats["attendable_votes"] == figures.attendable_votes == 14
    assert solution.stats["not_understood"] == 0 and solution.stats["interpreted_runs"] == 1


def test_reasons_say_why_votes_stay_not_understood():
    people = voters(3, ["fr"], ["es1"]) + voters(2, ["en"], ["no"], "e")
    p = trilingual([spanish("es1"), spanish("no", "h2", interpretation=False)], people, [EN_ES])
    solution = solve(p, Options(time_limit=1, work=5_000))
    assert find_violations(p, solution) == []
    assert solution.stats["not_understood"] == 5
    assert "3 votes for 'Sesión es1' (in es) from people who speak fr are not understood: no interpreter works " \
           "between es and fr." in solution.reasons
    assert "2 votes for 'Sesión no' (in es) from people who speak en are not understood: its facilitators " \
           "asked for no interpretation." in solution.reasons
    codes = {(r.code, r.sessions, r.numbers) for r in solution.explanations}
    assert ("no_interpreter_for_languages", ("es1",), (3,)) in codes


def test_interpreters_are_never_given_without_the_rule():
    people = voters(5, ["en"], ["es1"])
    p = make_problem([spanish("es1")], people, rooms=BOOTHS, interpreters=(EN_ES,),
                     interpretation_feature="booths")
    solution = solve(p, Options(time_limit=1, work=5_000))
    assert all(not a.interpretation for a in solution.assignments)
    assert solution.stats["attendable_votes"] == 5


@pytest.fixture(scope="module")
def event():
    return generate(sessions=40, participants=150, rooms=6, seed=7, interpreters=4)


def test_on_a_trilingual_event_the_solver_beats_greedy_interpreters_and_schedules_without_them(event):
    solution = solve(event, Options(time_limit=20, work=400_000))
    assert find_violations(event, solution) == []
    figures = score(event, solution)
    # The stats are the checker's figures.
    assert solution.stats["attendable_votes"] == figures.attendable_votes
    assert solution.stats["not_understood"] == figures.not_understood
    assert solution.stats["interpreted_runs"] == figures.interpreted_runs > 0

    greedy = baseline(Compiled(event))
    fill_interpreters(greedy)
    assignments, unscheduled = greedy.assignments()
    two_step = Solution("feasible", tuple(assignments), tuple(unscheduled))
    assert find_violations(event, two_step) == []
    assert figures.attendable_votes > score(event, two_step).attendable_votes

    from dataclasses import replace
    alone = solve(replace(event, interpreters=()), Options(time_limit=20, work=400_000))
    blind = solve(replace(event, interpreters=(), language_rule=False), Options(time_limit=20, work=400_000))
    assert figures.attendable_votes > score(event, alone).attendable_votes
    assert figures.attendable_votes > score(event, blind).attendable_votes


def test_generate_writes_a_trilingual_event_with_interpreters(tmp_path, capsys):
    out = tmp_path / "tri.json"
    assert main(["generate", "--sessions", "30", "--participants", "60", "--interpreters", "3",
                 "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["language_rule"] is True and len(data["interpreters"]) == 3
    assert {s["language"] for s in data["sessions"]} == {"en", "es", "fr"}
    assert sum(1 for r in data["rooms"] if data["interpretation_feature"] in r["features"]) >= 2
    assert main(["generate", "--sessions", "30", "--participants", "60", "--out", str(out)]) == 0
    assert "language_rule" not in json.loads(out.read_text())
