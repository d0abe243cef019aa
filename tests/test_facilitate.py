"""The facilitator's evening: problem building, runs, drafts, hand edits, publishing."""

import html
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import solver
from agenda import scheduling
from agenda.extensions import db
from agenda.models import Assignment, Event, Proposal, Room, ScheduleVersion, SolveRun, User
from agenda.services import ServiceError
from agenda.services import schedule as svc

from .conftest import DEMO_PASSWORD, login

PASSWORD = DEMO_PASSWORD  # the demo accounts'


def generate(event, time_limit=2, now_slot="auto"):
    slot = None if now_slot == "auto" else now_slot
    run = svc.start_run(event, time_limit, slot)
    assert svc.claim_next_run() == run.id
    return svc.execute_run(run.id)


def test_problem_built_from_the_demo(demo):
    built = scheduling.build_problem(demo)
    p = built.problem
    accepted = db.session.scalar(select(func.count(Proposal.id)).where(Proposal.status == "accepted"))
    assert accepted == 55  # 45 from the seed's list, 8 more bazaar pitches, a series of two
    assert len(p.slots) == 18 and len(p.rooms) == 6
    plenaries = [s for s in p.sessions if s.id.startswith("plenary-")]
    assert [s.title for s in plenaries] == [
        "Opening conversation: the state of global campaigning", "Closing circle: next steps together"]
    assert all(s.fixed is not None for s in plenaries)
    assert len(p.sessions) == 55 + 2
    # The bazaar: 14 pitches at the tables of the main hall, up to three runs each; a part 2.
    assert [r.tables for r in p.rooms if r.tables] == [14]
    assert sum(s.at_table and s.runs == 3 for s in p.sessions) == 14
    assert sum(s.after is not None for s in p.sessions) == 1
    assert {s.fixed.room for s in plenaries} == {"r1"}  # the main hall, the biggest room
    # The event is over (2017), so nothing is held in place; a facilitator may say otherwise.
    assert p.now is None
    assert set(p.previous) == {s.id for s in plenaries}  # nothing published yet but the plenaries
    wednesday = next(s for s in demo.slots if s.local_start.date().isoformat() == "2017-11-08")
    assert scheduling.build_problem(demo, wednesday).problem.now == f"t{wednesday.id}"
    assert scheduling.default_now(demo, datetime(2017, 11, 8, 7, 0, tzinfo=UTC)) == next(
        s for s in demo.slots if s.start > datetime(2017, 11, 8, 7, 0, tzinfo=UTC))
    votes = sum(len(x.votes) for x in p.participants)
    assert votes == sum(built.votes.values()) > 200
    assert solver.find_violations(p, solver.solve(p, solver.Options(time_limit=1))) == []


def test_export_import_round_trip(app, demo, runner, tmp_path):
    out = tmp_path / "instance.json"
    assert runner.invoke(args=["agenda", "export-instance", "--event", demo.slug, "--out", str(out)]).exit_code == 0
    problem = solver.load_problem(str(out))
    solution = solver.solve(problem, solver.Options(time_limit=1))
    sol_path = tmp_path / "solution.json"
    sol_path.write_text(json.dumps(solver.solution_to_dict(solution)))
    result = runner.invoke(args=["agenda", "import-solution", "--event", demo.slug, str(sol_path)])
    assert result.exit_code == 0, result.output
    assert "stored as draft version 1" in result.output
    version = db.session.scalar(select(ScheduleVersion))
    stored = {(f"p{a.proposal_id}", f"t{a.slot_id}", f"r{a.room_id}") for a in version.assignments}
    assert stored == {(a.session, a.slot, a.room) for a in solution.assignments
                      if not a.session.startswith("plenary-")}
    # Exported again, the problem is the same, with the imported draft as the schedule to keep.
    again = json.loads(runner.invoke(args=["agenda", "export-instance", "--event", demo.slug]).output)
    first = json.loads(out.read_text())
    runs: dict = {}
    for a in solution.assignments:
        runs.setdefault(a.session, set()).add((a.slot, a.room, a.table))
    kept = {k: {(x["slot"], x["room"], x.get("table")) for x in (v if isinstance(v, list) else [v])}
            for k, v in again.pop("previous").items()}
    assert kept == runs
    first.pop("previous")
    assert again == first


def test_import_refuses_a_broken_solution(demo, runner, tmp_path):
    problem = scheduling.build_problem(demo).problem
    first, second = [s.id for s in problem.sessions if not s.fixed and not s.at_table][:2]
    broken = {"format": "agenda-solution/1", "status": "feasible",
              "assignments": [{"session": first, "slot": problem.slots[2].id, "room": "r2"},
                              {"session": second, "slot": problem.slots[2].id, "room": "r2"}],
              "unscheduled": [s.id for s in problem.sessions if s.id not in (first, second)]}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    result = runner.invoke(args=["agenda", "import-solution", "--event", demo.slug, str(path)])
    assert result.exit_code == 1
    assert "The solution breaks the rules" in result.output and "would hold both" in result.output
    assert "r2" not in result.output and "Tuesday" in result.output  # names and times, not ids
    path.write_text("{not json")
    bad = runner.invoke(args=["agenda", "import-solution", "--event", demo.slug, str(path)])
    assert bad.exit_code == 1 and "line 1 column 2" in bad.output
    assert db.session.scalar(select(func.count(ScheduleVersion.id))) == 0


def test_run_lifecycle_gives_a_checked_draft(demo):
    row = generate(demo)
    assert row.status == "succeeded"
    assert row.started_at and row.finished_at and row.progress
    version = row.version
    assert (version.number, version.status) == (1, "draft")
    built = scheduling.build_problem(demo, None, pins_from=version)
    assert scheduling.check(built, scheduling.solution_of(built, version)) == []
    assert version.figures["unscheduled"] == len(version.unscheduled)
    assert 0.5 < version.figures["attendable_ratio"] <= 1


def test_solve_command_with_progress_and_publish(app, demo, runner):
    result = runner.invoke(args=["agenda", "solve", "--event", demo.slug, "--time-limit", "2", "--publish"])
    assert result.exit_code == 0, result.output
    assert "succeeded: Version 1 is ready for review." in result.output
    assert "version 1 is published" in result.output
    assert scheduling.published_version(demo).number == 1


def test_only_one_run_per_event_even_when_two_start_at_once(app, demo):
    event_id = demo.id  # read here: the threads must not touch this test's session
    db.session.commit()
    outcomes = []
    barrier = threading.Barrier(2)

    def start():
        with app.app_context():
            event = db.session.get(Event, event_id)
            barrier.wait()
            try:
                svc.start_run(event, 5)
                outcomes.append("started")
            except ServiceError as err:
                outcomes.append(err.message)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["A schedule is already being generated for this event.", "started"]
    # The database itself refuses a second active run.
    db.session.add(SolveRun(event_id=event_id, status="queued", time_limit=5))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_cancel_keeps_the_best_schedule_so_far(demo):
    run = svc.start_run(demo, 60)
    run_id = svc.claim_next_run()
    started = time.monotonic()

    def on_progress(elapsed, objective, bound):
        if elapsed > 1 and not db.session.get(SolveRun, run_id).cancel_requested:
            svc.cancel_run(db.session.get(SolveRun, run_id))

    row = svc.execute_run(run_id, on_progress=on_progress)
    assert time.monotonic() - started < 30
    assert row.status == "cancelled" and row.version is not None
    assert run.id == run_id


def test_killed_worker_marks_the_run_failed_and_changes_nothing(app, demo, tmp_path):
    first = generate(demo).version
    svc.publish_version(first)
    published = {(a.proposal_id, a.slot_id, a.room_id) for a in scheduling.published_version(demo).assignments}
    run = svc.start_run(demo, 120)
    db.session.commit()
    env = {**os.environ, "FLASK_APP": "agenda",
           "AGENDA_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "agenda", "worker", "--poll", "0.2"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db.session.rollback()  # a fresh snapshot: the worker writes from another process
            if db.session.get(SolveRun, run.id).progress:
                break
            time.sleep(0.2)
        assert db.session.get(SolveRun, run.id).status == "running"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        worker.stdout.close()
    # The worker ran on this machine and its process is gone: no need to wait for the heartbeat.
    assert svc.reap_stale_runs(stale_after=600) == 1
    db.session.rollback()
    row = db.session.get(SolveRun, run.id)
    assert row.status == "failed" and row.outcome == {"code": "worker_stopped"}
    assert db.session.scalar(select(func.count(ScheduleVersion.id))) == 1
    assert {(a.proposal_id, a.slot_id, a.room_id)
            for a in scheduling.published_version(demo).assignments} == published
    generate(demo)  # and the event can run again


def edit_fixture(demo):
    version = generate(demo).version
    return version, {a.proposal_id: a for a in version.assignments}


def test_hand_edits_move_swap_pin_and_refusals(fac, demo):
    version, placed = edit_fixture(demo)
    n = version.number
    # Swap two one-slot sessions in different slots: each takes the other's slot and room.
    singles = sorted((a.proposal_id, a.slot_id, a.room_id) for a in placed.values() if a.proposal.length == 1)
    swapped = None
    for pa, sa, ra in singles:
        for pb, sb, rb in singles:
            if sa == sb or pa >= pb:
                continue
            fac.post(f"/{demo.slug}/facilitate/versions/{n}/swap", data={"first": pa, "second": pb},
                     follow_redirects=True)
            db.session.expire_all()
            now = {x.proposal_id: (x.slot_id, x.room_id)
                   for x in db.session.get(ScheduleVersion, version.id).assignments}
            if now[pa] != (sa, ra):  # a refused swap (a facilitator clash) changes nothing
                assert (now[pa], now[pb]) == ((sb, rb), (sa, ra))
                swapped = (pa, pb)
                break
            assert now[pb] == (sb, rb)
        if swapped:
            break
    assert swapped is not None
    placed = {x.proposal_id: x for x in db.session.get(ScheduleVersion, version.id).assignments}
    first = swapped[0]

    # Moving into a room that lacks what the session needs is refused with the reason.
    needy = next(p for p in db.session.scalars(select(Proposal).where(Proposal.status == "accepted"))
                 if "projector" in p.needs)
    bare = db.session.scalar(select(Room).where(Room.name == "Jacaranda room"))
    slot = next(s for s in demo.slots if s.kind == "open")
    response = fac.post(f"/{demo.slug}/facilitate/versions/{n}/move",
                        data={"proposal": needy.id, "slot": slot.id, "room": bare.id}, follow_redirects=True)
    assert "needs projector, which Jacaranda room does not have." in html.unescape(response.get_data(as_text=True))

    # Pinning: a pinned session stays put in the next run.
    fac.post(f"/{demo.slug}/facilitate/versions/{n}/sessions/{first}/pin")
    db.session.expire_all()
    pinned = db.session.scalar(select(Assignment).where(Assignment.version_id == version.id,
                                                        Assignment.proposal_id == first))
    assert pinned.pinned
    refused = fac.post(f"/{demo.slug}/facilitate/versions/{n}/move",
                       data={"proposal": first, "slot": slot.id, "room": bare.id}, follow_redirects=True)
    assert "This session is pinned" in refused.get_data(as_text=True)
    nxt = generate(demo).version
    again = next(x for x in nxt.assignments if x.proposal_id == first)
    assert (again.slot_id, again.room_id, again.pinned) == (pinned.slot_id, pinned.room_id, True)


def test_a_valid_move_updates_the_figures(fac, demo):
    version, placed = edit_fixture(demo)
    target = next(a for a in version.assignments if a.proposal.length == 1 and not a.proposal.needs
                  and a.table is None and sum(b.proposal_id == a.proposal_id for b in version.assignments) == 1)
    taken = {(b.slot_id, b.room_id) for a in version.assignments for b in a.bookings}
    free_cells = [(s, r) for s in demo.slots if s.kind == "open" for r in demo.rooms
                  if (s.id, r.id) not in taken and s not in r.unavailable and s.id != target.slot_id]
    assert free_cells, "the demo schedule leaves some room free"
    for slot, room in free_cells:  # a facilitator clash refuses some; one of them will do
        fac.post(f"/{demo.slug}/facilitate/versions/{version.number}/move",
                 data={"proposal": target.proposal_id, "slot": slot.id, "room": room.id})
        db.session.rollback()
        moved = db.session.scalar(select(Assignment).where(Assignment.version_id == version.id,
                                                           Assignment.proposal_id == target.proposal_id))
        if moved.slot_id == slot.id:
            break
    assert (moved.slot_id, moved.room_id) == (slot.id, room.id)
    fresh = db.session.get(ScheduleVersion, version.id)
    built = scheduling.build_problem(demo, None, pins_from=fresh)
    assert fresh.figures["attendable_votes"] == solver.score(
        built.problem, scheduling.solution_of(built, fresh)).attendable_votes


def test_publish_rules_and_diff(fac, demo):
    v1 = generate(demo).version
    v2 = generate(demo).version
    refused = fac.post(f"/{demo.slug}/facilitate/versions/1/publish", follow_redirects=True)
    assert "Only the newest draft can be published; version 2 is newer." in refused.get_data(as_text=True)
    fac.post(f"/{demo.slug}/facilitate/versions/2/publish")
    db.session.expire_all()
    assert scheduling.published_version(demo).number == 2
    again = fac.post(f"/{demo.slug}/facilitate/versions/2/publish", follow_redirects=True)
    assert "Version 2 is already published." in again.get_data(as_text=True)
    edit = fac.post(f"/{demo.slug}/facilitate/versions/2/sessions/{v2.assignments[0].proposal_id}/pin",
                    follow_redirects=True)
    assert "A published version cannot be changed" in edit.get_data(as_text=True)
    # A new draft with a late proposal: the diff names it as new.
    late = Proposal(event_id=demo.id, title="A late proposal", format="skillshare", language="en",
                    status="accepted")
    db.session.add(late)
    db.session.commit()
    v3 = generate(demo).version
    page = fac.get(f"/{demo.slug}/facilitate/versions/{v3.number}").get_data(as_text=True)
    changes = page.split("Changes since the published schedule")[1].split("Grid")[0]
    if any(a.proposal_id == late.id for a in v3.assignments):
        assert "New: A late proposal" in changes
    else:  # a full schedule leaves it out, and says why
        assert "A late proposal" in page.split("Not scheduled")[1].split("Changes since")[0]
    assert (v1.number, v2.number, v3.number) == (1, 2, 3)


def test_publish_is_atomic(demo, monkeypatch):
    first = generate(demo).version
    svc.publish_version(first)
    second = generate(demo).version
    before = {(a.proposal_id, a.slot_id, a.room_id) for a in scheduling.published_version(demo).assignments}

    def crash(*args, **kwargs):
        raise RuntimeError("the server died mid-publish")

    monkeypatch.setattr(svc, "utcnow", crash)
    with pytest.raises(RuntimeError):
        svc.publish_version(second)
    db.session.rollback()
    db.session.expire_all()
    assert scheduling.published_version(demo).number == 1
    assert {(a.proposal_id, a.slot_id, a.room_id) for a in scheduling.published_version(demo).assignments} == before


def test_resolve_keeps_the_past_and_moves_few(demo):
    v1 = generate(demo).version
    svc.publish_version(v1)
    wednesday = next(s for s in demo.slots if s.local_start.date().isoformat() == "2017-11-08")
    before = {a.proposal_id: (a.slot_id, a.room_id, a.slot.start) for a in v1.assignments}
    v2 = generate(demo, now_slot=wednesday).version
    after = {a.proposal_id: (a.slot_id, a.room_id) for a in v2.assignments}
    for pid, (slot_id, room_id, start) in before.items():
        if start < wednesday.start:
            assert after[pid] == (slot_id, room_id)
    future = [pid for pid, (_, _, start) in before.items() if start >= wednesday.start]
    moved = [pid for pid in future if after.get(pid, (None,))[0] != before[pid][0]]
    assert len(moved) <= max(1, len(future) // 10)


@pytest.mark.parametrize("who", ["anonymous", "participant"])
def test_only_facilitators_run_edit_or_publish(app, demo, who):
    version = generate(demo).version
    client = app.test_client()
    if who == "participant":
        login(client, "participant@example.org", PASSWORD)
    base = f"/{demo.slug}/facilitate"
    some = version.assignments[0].proposal_id
    for method, path in [("GET", "/"), ("POST", "/"), ("GET", "/runs/1"), ("GET", "/runs/1.json"),
                         ("POST", "/runs/1/cancel"), ("GET", "/versions/1"), ("POST", "/versions/1/publish"),
                         ("POST", "/versions/1/move"), ("POST", "/versions/1/swap"),
                         ("POST", f"/versions/1/sessions/{some}/pin")]:
        response = client.open(base + path, method=method, data={"time_limit": "5"})
        if who == "anonymous":
            assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path
        else:
            assert response.status_code == 404, path
    db.session.expire_all()
    assert db.session.get(ScheduleVersion, version.id).status == "draft"
    assert db.session.scalar(select(func.count(SolveRun.id))) == 1


def test_generate_page_starts_a_run_and_shows_progress(fac, demo):
    bad = fac.post(f"/{demo.slug}/facilitate/", data={"time_limit": "0", "now_slot": "0"})
    assert "Give 1 to 600 seconds." in bad.get_data(as_text=True)
    response = fac.post(f"/{demo.slug}/facilitate/", data={"time_limit": "3", "now_slot": "0"})
    assert response.status_code == 302
    run_page = fac.get(response.headers["Location"]).get_data(as_text=True)
    assert "Waiting for the worker" in run_page and 'http-equiv="refresh"' in run_page and "<progress" in run_page
    busy = fac.post(f"/{demo.slug}/facilitate/", data={"time_limit": "3", "now_slot": "0"}, follow_redirects=True)
    assert "A schedule is already being generated for this event." in busy.get_data(as_text=True)
    run_id = svc.claim_next_run()
    # Once the worker has it, the hint is gone (the page reloads itself without JavaScript).
    running = fac.get(response.headers["Location"]).get_data(as_text=True)
    assert "Waiting for the worker" not in running and 'http-equiv="refresh"' in running
    assert fac.get(f"/{demo.slug}/facilitate/runs/{run_id}.json").get_json()["status"] == "running"
    svc.execute_run(run_id)
    state = fac.get(f"/{demo.slug}/facilitate/runs/{run_id}.json").get_json()
    assert state["status"] == "succeeded" and state["percent"] == 100 and state["version"] == 1
    page = fac.get(f"/{demo.slug}/facilitate/versions/1").get_data(as_text=True)
    assert "Votes people can attend" in page and "Voters who can attend" in page and "Main hall" in page
    assert db.session.scalar(select(func.count(User.id))) > 100


def test_ids_too_large_for_the_database_are_not_found_not_errors(app, fac, demo):
    generate(demo)
    participant = app.test_client()
    login(participant, "participant@example.org", PASSWORD)
    big = "9" * 25
    slug = demo.slug
    for client, method, path, data in [
        (fac, "GET", f"/{slug}/proposals/{big}", None),
        (fac, "GET", f"/{slug}/schedule?version={big}", None),
        (fac, "GET", f"/{slug}/manage/rooms/{big}", None),
        (fac, "GET", f"/{slug}/facilitate/versions/{big}", None),
        (fac, "GET", f"/{slug}/facilitate/runs/{big}", None),
        (fac, "POST", f"/{slug}/facilitate/versions/1/move", {"proposal": big, "slot": big, "room": big}),
        (fac, "POST", f"/{slug}/proposals/1/merge", {"other": big}),
        (participant, "POST", f"/{slug}/me/agenda/choose", {"slot": big, "proposal": big}),
        (participant, "POST", f"/{slug}/proposals/{big}/vote", {"want": "1"}),
    ]:
        response = client.open(path, method=method, data=data)
        assert response.status_code in (302, 404), (path, response.status_code)


def test_only_scheduling_imports_the_solver():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "agenda"
    importers = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                       if "import solver" in p.read_text() or "from solver" in p.read_text()
                       or "scheduling.solver" in p.read_text())
    assert importers == ["scheduling.py"]
