"""The diagram sandbox against a corpus of escape attempts (architecture.md, pitfall 1)."""

import pytest

from casepath.engine.sandbox import SandboxError, compile_expression, compile_script, evaluate, execute

ESCAPES_AT_COMPILE = [
    "import os",
    "from os import system",
    "__import__('os')",
    "().__class__.__base__.__subclasses__()",
    "[].__class__.__mro__",
    "(lambda: 1).__globals__",
    "x.__dict__",
    "getattr(x, '__class__')",
    "9 ** 999999",
    "1 << 100000",
    "'a' * 100000000",
    "lambda: 1",
    "(yield)",
]
ESCAPES_AT_RUN = [
    "open('/etc/passwd').read()",
    "eval('1')",
    "exec('x = 1')",
    "globals()",
    "vars()",
    "type(1)",
    "compile('1', 'f', 'eval')",
    "breakpoint()",
    "input()",
    "[a for a in range(10000) for b in range(10000)]",
    "range(10**1)",
    "'{0.__class__}'.format(1)",
    "str(1).format_map({})",
]


@pytest.mark.parametrize("source", ESCAPES_AT_COMPILE)
def test_an_escape_attempt_is_refused_when_the_diagram_is_published(source):
    with pytest.raises(SandboxError):
        compile_expression(source) if "import" not in source else compile_script(source)


@pytest.mark.parametrize("source", ESCAPES_AT_RUN)
def test_an_escape_attempt_that_compiles_is_stopped_when_it_runs(source):
    with pytest.raises(SandboxError):
        evaluate(source, {"x": 1}, {})


def test_an_endless_loop_in_a_script_is_stopped_by_the_step_budget():
    with pytest.raises(SandboxError, match="too long"):
        execute("total = 0\nfor a in range(10000):\n    for b in range(10000):\n        total += 1", {}, {})


def test_a_while_loop_is_refused_outright():
    with pytest.raises(SandboxError, match="While"):
        compile_script("while True:\n    pass")


def test_gateway_conditions_read_task_data():
    assert evaluate('decision == "assessment" and approved', {"decision": "assessment", "approved": True}, {})


def test_a_script_sets_task_data_and_may_change_lists_and_dictionaries():
    data = {"reasons": ["a"], "facts": {}}
    execute('closure_reason = "RC8"\nreasons.append("b")\nfacts["k"] = 1', data, {})
    assert data == {"reasons": ["a", "b"], "facts": {"k": 1}, "closure_reason": "RC8"}


def test_a_script_cannot_change_objects_other_than_lists_and_dictionaries():
    with pytest.raises(SandboxError):
        execute("x.attribute = 1", {"x": object()}, {})


def test_trusted_functions_may_take_longer_than_the_budget_without_stopping_the_diagram():
    import time

    def slow_deadline(step):
        time.sleep(1.2)
        return "2025-01-01T00:00:00+00:00"

    assert evaluate('deadline("referral_decision")', {}, {"deadline": slow_deadline}).startswith("2025")


def test_a_missing_variable_is_reported_by_name():
    with pytest.raises(SandboxError, match="decision"):
        evaluate('decision == "nfa"', {}, {})
