"""Demo data as fixtures: a realistic county loaded through the services, never imported by them.

`flask demo load` calls `load` then `load_programs`; tests and benchmarks use `demo_answers`.
The example answer for a rule is `core.examples.value_for`, shared with the tests.
"""
from .county import DEMO_PASSWORD, demo_answers, load, load_programs

__all__ = ["DEMO_PASSWORD", "demo_answers", "load", "load_programs"]
