"""The command line, through a real subprocess: output, exit codes, one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

from solver import problem_to_dict
from solver.generate import generate

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "instances"


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "solver", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def write_instance(tmp_path, data=None, name="inst.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data if data is not None else problem_to_dict(generate(20, 50, seed=2))))
    return path


def test_solve_then_check(tmp_path):
    inst = write_instance(tmp_path)
    out = tmp_path / "sol.json"
    result = run("solve", inst, "--out", out, "--time-limit", "1", "--seed", "3")
    assert result.returncode == 0, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("feasible: ") or last.startswith("optimal: ")
    assert "attendable votes" in last
    assert "objective" in result.stderr  # progress lines
    checked = run("check", inst, out)
    assert checked.returncode == 0
    report = json.loads(checked.stdout)
    assert report["valid"] is True
    assert 0 < report["score"]["attendable_ratio"] <= 1


def test_check_exits_1_on_a_broken_solution(tmp_path):
    inst = write_instance(tmp_path)
    data = json.loads(inst.read_text())
    first, second = data["sessions"][2]["id"], data["sessions"][3]["id"]
    broken = {"format": "agenda-solution/1", "status": "feasible",
              "assignments": [{"session": first, "slot": "d1-2", "room": "r2"},
                              {"session": second, "slot": "d1-2", "room": "r2"}],
              "unscheduled": [s["id"] for s in data["sessions"][4:]] + ["s1", "s2"]}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    result = run("check", inst, path)
    assert result.returncode == 1
    violations = json.loads(result.stdout)["violations"]
    assert any("Room r2 holds both" in v for v in violations)


def test_bad_input_is_one_line_naming_the_place(tmp_path):
    base = json.loads(write_instance(tmp_path).read_text())
    cases = {
        "malformed": ("{\"format\": ", "line 1 column 12"),
        "version": ({**base, "format": "agenda-instance/9"}, "format: expected \"agenda-instance/1\""),
        "unknown": ({**base, "participants": [{**base["participants"][0], "votes": ["nope"]}]
                     + base["participants"][1:]},
                    "participants[0].votes[0]: unknown session 'nope'"),
        "duplicate": ({**base, "rooms": base["rooms"] + base["rooms"][:1]},
                      f"rooms[{len(base['rooms'])}].id: duplicate id 'r1'"),
        "length0": ({**base, "sessions": [{**base["sessions"][2], "length": 0}] + base["sessions"][3:]},
                    "sessions[0].length: must be at least 1, got 0"),
        "negative": ({**base, "rooms": [{**base["rooms"][0], "capacity": -4}] + base["rooms"][1:]},
                     "rooms[0].capacity: must be at least 0, got -4"),
        "expected": ({**base, "sessions": [{**base["sessions"][0], "expected": "many"}] + base["sessions"][1:]},
                     "sessions[0].expected: expected a whole number"),
    }
    for name, (data, expected) in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text(data if isinstance(data, str) else json.dumps(data))
        result = run("solve", path, "--out", tmp_path / "x.json", "--time-limit", "0.2")
        assert result.returncode == 2, name
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (name, result.stderr)
        assert lines[0].startswith("error: ") and expected in lines[0], (name, lines[0])
        assert "Traceback" not in result.stderr


def test_infeasible_instance_prints_reasons(tmp_path):
    result = run("solve", BENCH / "small-infeasible.json", "--out", tmp_path / "x.json", "--time-limit", "1")
    assert result.returncode == 0
    assert "infeasible" in result.stderr.splitlines()[-1]
    assert "both fixed to room r1 in slot d1-1" in result.stderr
    assert json.loads((tmp_path / "x.json").read_text())["status"] == "infeasible"


def test_bench_prints_a_table(tmp_path):
    folder = tmp_path / "instances"
    folder.mkdir()
    write_instance(folder, problem_to_dict(generate(15, 30, seed=5)), "tiny.json")
    write_instance(folder, problem_to_dict(generate(15, 30, seed=6, resolve=True)), "tiny-resolve.json")
    result = run("bench", "--instances", folder, "--time-limit", "0.5")
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("| tiny")]
    methods = [row.split("|")[2].strip() for row in rows]
    assert methods == ["baseline", "keep-published", "solver 0.5s", "baseline", "solver 0.5s"]
    assert all("| yes |" in row for row in rows)


def test_solver_imports_nothing_from_the_web_app():
    code = ("import sys, solver, solver.__main__, solver.bench, solver.generate; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'agenda', "
            "'flask_sqlalchemy', 'werkzeug')]; print(bad)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.strip() == "[]"
    sources = "\n".join(p.read_text() for p in (ROOT / "solver").glob("*.py"))
    for name in ("flask", "sqlalchemy", "agenda"):
        assert f"import {name}" not in sources and f"from {name}" not in sources
