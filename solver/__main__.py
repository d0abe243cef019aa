"""python -m solver solve | check | bench | generate"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

from .problem import InstanceError, load_problem, load_solution, solution_to_dict


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def cmd_solve(args) -> int:
    from .solve import Options, solve

    problem = load_problem(args.instance)
    bar_width = 30

    def progress(elapsed: float, objective: int, bound: int) -> None:
        done = min(1.0, elapsed / args.time_limit) if args.time_limit else 1.0
        bar = "#" * int(done * bar_width)
        print(f"[{bar:<{bar_width}}] {elapsed:6.1f}s  objective {objective}  bound {bound}",
              file=sys.stderr, flush=True)

    solution = solve(problem, Options(time_limit=args.time_limit, workers=args.workers,
                                      seed=args.seed, progress=progress))
    data = solution_to_dict(solution)
    data["stats"]["peak_mb"] = _peak_mb()
    text = json.dumps(data, indent=1, ensure_ascii=False)
    if args.out == "-":
        print(text)
    else:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    st = solution.stats
    summary = (f"{solution.status}: {len(solution.assignments)} scheduled, "
               f"{len(solution.unscheduled)} unscheduled")
    if "attendable_ratio" in st:
        summary += (f", attendable votes {st['attendable_votes']}/{st['total_votes']} "
                    f"({st['attendable_ratio']:.4f}), overflow {st['overflow']}, "
                    f"slot moves {st['slot_moves']}, {st['wall_seconds']}s")
    for reason in solution.reasons if solution.status == "infeasible" else ():
        print(f"  - {reason}", file=sys.stderr)
    print(summary, file=sys.stderr)
    return 0


def cmd_check(args) -> int:
    from .check import find_violations, score
    from .explain import describe

    problem = load_problem(args.instance)
    solution = load_solution(args.solution)
    violations = find_violations(problem, solution)
    print(json.dumps({"valid": not violations, "violations": [describe(v, problem) for v in violations],
                      "records": [v.as_dict() for v in violations],
                      "score": score(problem, solution).as_dict()}, indent=1, ensure_ascii=False))
    return 1 if violations else 0


def cmd_baseline(args) -> int:
    from .baseline import baseline, keep_published
    from .data import Compiled, number_tables
    from .problem import Solution

    started = time.monotonic()
    problem = load_problem(args.instance)
    c = Compiled(problem)
    sched = keep_published(c) if args.keep_published else baseline(c)
    if args.interpreters:
        from .interpret import fill_interpreters

        fill_interpreters(sched)
    number_tables(sched)
    assignments, unscheduled = sched.assignments()
    data = solution_to_dict(Solution("feasible", tuple(assignments), tuple(unscheduled)))
    data["stats"] = {"wall_seconds": round(time.monotonic() - started, 3), "peak_mb": _peak_mb()}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(data, f)
    return 0


def cmd_bench(args) -> int:
    from .bench import run_bench, run_scale

    if args.scale or args.xl:
        return run_scale(args.xl, args.time_limit, args.seed, args.workers)
    return run_bench(args.instances, args.time_limit, args.seed)


def cmd_generate(args) -> int:
    from .generate import campaigncon, generate, scaled
    from .problem import problem_to_dict

    if args.campaigncon:
        problem = campaigncon(args.seed)
    elif args.preset == "xl":
        problem = scaled(args.participants if args.participants is not None else 5000, args.seed)
    else:
        problem = generate(args.sessions, args.participants or 200, args.days, args.slots_per_day,
                           args.rooms, args.seed, resolve=args.resolve, interpreters=args.interpreters)
    text = json.dumps(problem_to_dict(problem), indent=1)
    if args.out == "-":
        print(text)
    else:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m solver", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("solve", help="solve an instance")
    p.add_argument("instance")
    p.add_argument("--out", required=True, help="where to write the solution ('-' for stdout)")
    p.add_argument("--time-limit", type=float, default=10.0)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser("check", help="check a solution against the hard rules and score it")
    p.add_argument("instance")
    p.add_argument("solution")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("baseline", help="write the greedy baseline's solution")
    p.add_argument("instance")
    p.add_argument("--out", required=True)
    p.add_argument("--keep-published", action="store_true",
                   help="the do-nothing plan of a re-solve instead")
    p.add_argument("--interpreters", action="store_true",
                   help="then give interpreters greedily to the runs where they unlock most votes")
    p.set_defaults(func=cmd_baseline)

    p = sub.add_parser("bench", help="baseline and solver on every benchmark instance")
    p.add_argument("--instances", default=None,
                   help="folder of instances (default: bench/instances)")
    p.add_argument("--time-limit", type=float, default=None,
                   help="seconds per instance (default: 10 small, 30 medium, 120 large)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", action="store_true",
                   help="the scaling curve instead: generated events of 112, 500 and 2,000 participants")
    p.add_argument("--xl", action="store_true", help="the scaling curve with 5,000 and 10,000 participants too")
    p.add_argument("--workers", type=int, default=1, help="for the scaling curve's solves")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("generate", help="write a random instance")
    p.add_argument("--sessions", type=int, default=80)
    p.add_argument("--participants", type=int, default=None, help="default 200 (xl: 5000)")
    p.add_argument("--days", type=int, default=3)
    p.add_argument("--slots-per-day", type=int, default=4)
    p.add_argument("--rooms", type=int, default=8)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--resolve", action="store_true", help="add a published schedule and `now`")
    p.add_argument("--interpreters", type=int, default=0,
                   help="a trilingual event (en, es, fr) under the language rule, with this many interpreters")
    p.add_argument("--campaigncon", action="store_true",
                   help="a CampaignCon-like event with a hall of tables, repeated runs, a series and "
                        "preferred times (uses only --seed)")
    p.add_argument("--preset", choices=["xl"], default=None,
                   help="xl: a FOSDEM-sized event (5,000 participants, 1,500 sessions, 60 rooms of 40 to 1,000 "
                        "seats, 4 days of 8 slots, plenaries); with --participants, sessions and rooms in proportion")
    p.add_argument("--out", default="-")
    p.set_defaults(func=cmd_generate)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except InstanceError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
