"""`python -m solver bench`: baseline and solver on every instance, one process per run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .check import find_violations, score, upper_bound
from .problem import load_problem, load_solution, problem_to_dict

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "bench" / "instances"


def default_time_limit(n_sessions: int) -> float:
    if n_sessions <= 100:
        return 10.0
    if n_sessions <= 300:
        return 30.0
    return 120.0


def _run(args: list[str], out: str) -> dict:
    subprocess.run([sys.executable, "-m", "solver", *args, "--out", out], check=True,  # noqa: S603 (a fixed argv)
                   stderr=subprocess.DEVNULL)
    with open(out, encoding="utf-8") as f:
        return json.load(f)["stats"]


def _row(name, method, problem, path, stats, bound):
    solution = load_solution(path)
    violations = find_violations(problem, solution)
    s = score(problem, solution)
    return {
        "instance": name, "method": method, "status": solution.status,
        # An "infeasible" answer places nothing, so the checker has nothing to accept.
        "valid": "n/a" if solution.status == "infeasible" else ("yes" if not violations else "NO"),
        "unscheduled": s.unscheduled, "ratio": s.ratio,
        "overflow": s.overflow, "slot_moves": s.slot_moves, "room_moves": s.room_moves,
        "dropped": s.dropped,
        "objective": s.objective, "seconds": stats.get("wall_seconds", 0.0),
        "placed": len(problem.sessions) - s.unscheduled, "attendable": s.attendable_votes,
        "runs": s.extra_runs, "misses": s.preference_misses,
        "peak_mb": stats.get("peak_mb", 0.0), "bound": bound / s.total_votes if s.total_votes else 1.0,
        "languages": problem.language_rule, "not_understood": s.not_understood,
        "interpreted_runs": s.interpreted_runs,
    }


def _variant(problem, tmp: str, name: str, label: str, **changes) -> str:
    """The instance with some keys changed, written to a file for the solver."""
    data = problem_to_dict(problem)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path = os.path.join(tmp, f"{name}-{label}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f)
    return path


def language_runs(problem, path, tmp: str, name: str, limit: float, seed: int) -> list[tuple[str, list[str]]]:
    """Under the language rule, what the solver is measured against (each scored under the rule): the same
    event without interpreters, a language-blind schedule, and the greedy with greedy interpreters."""
    solve = ["--time-limit", str(limit), "--seed", str(seed)]
    alone = _variant(problem, tmp, name, "no-interpreters", interpreters=None)
    blind = _variant(problem, tmp, name, "language-blind", interpreters=None, language_rule=None)
    return [("greedy + greedy interpreters", ["baseline", str(path), "--interpreters"]),
            (f"solver {limit:g}s, no interpreters", ["solve", alone, *solve]),
            (f"solver {limit:g}s, language-blind", ["solve", blind, *solve])]


def run_bench(instances: str | None, time_limit: float | None, seed: int = 0) -> int:
    folder = Path(instances) if instances else Path(os.environ.get("AGENDA_BENCH_DIR", DEFAULT_DIR))
    files = sorted(folder.glob("*.json"))
    if not files:
        print(f"error: no instances in {folder}", file=sys.stderr)
        return 2
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            name = path.stem
            problem = load_problem(str(path))
            bound = upper_bound(problem)
            limit = time_limit or default_time_limit(len(problem.sessions))
            runs = [("baseline", ["baseline", str(path)])]
            if problem.previous:
                runs.append(("keep-published", ["baseline", str(path), "--keep-published"]))
            runs.append((f"solver {limit:g}s", ["solve", str(path), "--time-limit", str(limit),
                                                "--seed", str(seed)]))
            if any(x.runs > 1 for x in problem.sessions):
                # The same, each session once: what repeats add.
                single = os.path.join(tmp, f"{name}-one-run.json")
                data = problem_to_dict(problem)
                for x in data["sessions"]:
                    x.pop("runs", None)
                with open(single, "w", encoding="utf-8") as f:
                    json.dump(data, f)
                runs.append((f"solver {limit:g}s, one run each", ["solve", single, "--time-limit", str(limit),
                                                                 "--seed", str(seed)]))
            if problem.language_rule:
                runs.extend(language_runs(problem, path, tmp, name, limit, seed))
            for k, (method, args) in enumerate(runs):
                out = os.path.join(tmp, f"{name}-{k}-{method.split()[0]}.json")
                print(f"running {method} on {name} …", file=sys.stderr, flush=True)
                stats = _run(args, out)
                rows.append(_row(name, method, problem, out, stats, bound))
    print(format_table(rows))
    if any(r["languages"] for r in rows):
        print()
        print(format_language_table([r for r in rows if r["languages"]]))
    # The solver must never hand out a broken schedule (the baseline may, on an infeasible instance).
    return 1 if any(r["valid"] == "NO" and r["method"].startswith("solver") for r in rows) else 0


def format_table(rows: list[dict]) -> str:
    head = ("| instance | method | status | valid | placed | unscheduled | attendable | attendable ratio "
            "| overflow | moves slot/room/dropped | extra runs | preference misses | objective | seconds "
            "| peak MB | upper bound |")
    lines = [head, "|" + "---|" * 16]
    for r in rows:
        lines.append(
            f"| {r['instance']} | {r['method']} | {r['status']} | {r['valid']} | {r['placed']} "
            f"| {r['unscheduled']} | {r['attendable']} | {r['ratio']:.4f} | {r['overflow']} "
            f"| {r['slot_moves']}/{r['room_moves']}/{r['dropped']} | {r['runs']} | {r['misses']} "
            f"| {r['objective']} | {r['seconds']:.1f} | {r['peak_mb']:.0f} | {r['bound']:.4f} |")
    return "\n".join(lines)


def format_language_table(rows: list[dict]) -> str:
    """Instances under the language rule: votes people can follow, every schedule scored under the rule."""
    lines = ["| instance | method | valid | understood attendable | attendable ratio | not understood "
             "| interpreted runs | unscheduled |", "|" + "---|" * 8]
    for r in rows:
        lines.append(f"| {r['instance']} | {r['method']} | {r['valid']} | {r['attendable']} | {r['ratio']:.4f} "
                     f"| {r['not_understood']} | {r['interpreted_runs']} | {r['unscheduled']} |")
    return "\n".join(lines)


SCALE_SIZES = (112, 500, 2000)
XL_SIZES = (5000, 10000)


def _solve_with_timeline(path: str, out: str, limit: float, seed: int, workers: int) -> tuple[dict, list]:
    """Solve in a process of its own; returns its stats and its progress as (seconds, objective) pairs."""
    result = subprocess.run([sys.executable, "-m", "solver", "solve", path, "--out", out,  # noqa: S603 (fixed argv)
                             "--time-limit", str(limit), "--seed", str(seed), "--workers", str(workers)],
                            check=True, capture_output=True, text=True)
    timeline = []
    for line in result.stderr.splitlines():
        parts = line.split("]", 1)[-1].split()
        if len(parts) >= 5 and parts[1] == "objective":  # "12.5s  objective 3600  bound 3700"
            timeline.append((float(parts[0].rstrip("s")), int(parts[2])))
    with open(out, encoding="utf-8") as f:
        return json.load(f)["stats"], timeline


def run_scale(xl: bool, time_limit: float | None, seed: int = 0, workers: int = 1) -> int:
    """The scaling curve: generated events of 112 to 2,000 participants (and 5,000, 10,000 with xl),
    sessions and rooms in proportion (generate.scaled), each solved and checked."""
    from .generate import scaled

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in SCALE_SIZES + (XL_SIZES if xl else ()):
            problem = scaled(n, seed=1)
            path = os.path.join(tmp, f"scaled-{n}.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(problem_to_dict(problem), f)
            limit = time_limit or default_time_limit(len(problem.sessions))
            print(f"solving {n} participants ({limit:g}s) …", file=sys.stderr, flush=True)
            greedy_out = os.path.join(tmp, f"scaled-{n}-greedy.json")
            _run(["baseline", path], greedy_out)
            out = os.path.join(tmp, f"scaled-{n}-solver.json")
            stats, timeline = _solve_with_timeline(path, out, limit, seed, workers)
            solution = load_solution(out)
            s = score(problem, solution)
            final = s.attendable_votes
            reached = next((t for t, objective in timeline if objective >= 0.99 * final), stats["wall_seconds"])
            rows.append({"participants": n, "sessions": len(problem.sessions), "rooms": len(problem.rooms),
                         "limit": limit, "ratio": s.ratio, "greedy": score(problem, load_solution(greedy_out)).ratio,
                         "reached": reached, "seconds": stats["wall_seconds"], "peak_mb": stats.get("peak_mb", 0.0),
                         "valid": "yes" if not find_violations(problem, solution) else "NO",
                         "unscheduled": s.unscheduled})
    print(format_scale_table(rows, workers))
    return 1 if any(r["valid"] == "NO" for r in rows) else 0


def format_scale_table(rows: list[dict], workers: int = 1) -> str:
    lines = ["| participants | sessions | rooms | time limit | workers | attendable ratio | greedy ratio "
             "| seconds to 99 % of final | seconds | peak MB | unscheduled | valid |", "|" + "---|" * 12]
    for r in rows:
        lines.append(f"| {r['participants']} | {r['sessions']} | {r['rooms']} | {r['limit']:g} s | {workers} "
                     f"| {r['ratio']:.4f} | {r['greedy']:.4f} | {r['reached']:.1f} | {r['seconds']:.1f} "
                     f"| {r['peak_mb']:.0f} | {r['unscheduled']} | {r['valid']} |")
    return "\n".join(lines)
