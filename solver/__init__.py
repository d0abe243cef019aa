"""The scheduling solver: a pure library (standard library and ortools only)."""
