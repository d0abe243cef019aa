"""The scheduling solver: a pure library (standard library and ortools only).

    from solver import load_problem, solve, Options, find_violations, score
"""

from .check import find_violations, score, upper_bound
from .explain import describe
from .problem import (
    Assignment,
    InstanceError,
    Interpretation,
    Interpreter,
    Participant,
    Placement,
    Problem,
    Reason,
    Room,
    Session,
    Slot,
    Solution,
    load_problem,
    load_solution,
    problem_from_dict,
    problem_to_dict,
    solution_from_dict,
    solution_to_dict,
)
from .rules import Violation
from .solve import Options, solve

__all__ = [
    "Assignment", "InstanceError", "Interpretation", "Interpreter", "Options", "Participant", "Placement",
    "Problem", "Reason", "Room",
    "Session", "Slot", "Solution", "Violation", "describe", "find_violations", "load_problem", "load_solution",
    "problem_from_dict", "problem_to_dict", "score", "solution_from_dict", "solution_to_dict",
    "solve", "upper_bound",
]
