"""The sandbox for diagram scripts and gateway conditions.

Diagrams come from process owners through a web page, and SpiffWorkflow would run their Python
with `eval`/`exec` and full builtins: remote code execution. Here every expression and script is
compiled with RestrictedPython (no imports, no names or attributes starting with `_`), runs with a
small set of builtins, and is stopped by a step budget and a wall-clock limit enforced by a
per-thread trace function (SIGALRM only works in the main thread, and servers are threaded).
Anything with side effects belongs in a handler, not a script.
"""

from __future__ import annotations

import ast
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from types import CodeType, FrameType
from typing import Any

from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safe_builtins

FILENAME = "<diagram>"
MAX_STEPS = 20_000
MAX_SECONDS = 1.0
MAX_CONSTANT = 1_000_000
MAX_SOURCE = 10_000


class SandboxError(Exception):
    """A diagram expression or script was refused or stopped; the message says why."""


def _guarded_getattr(obj: object, name: str, default: Any = None) -> Any:
    if name.startswith("_") or name in ("format", "format_map", "mro", "gi_frame", "f_globals"):
        raise SandboxError(f"access to attribute {name!r} is not allowed in a diagram")
    return getattr(obj, name, default) if default is not None else getattr(obj, name)


def _bounded_range(*args: int) -> range:
    result = range(*args)
    if len(result) > 10_000:
        raise SandboxError("range() is limited to 10,000 items in a diagram")
    return result


def _write(obj: Any) -> Any:
    if not isinstance(obj, (dict, list)):
        raise SandboxError("only dictionaries and lists may be changed in a diagram script")
    return obj


BUILTINS: dict[str, Any] = {
    name: safe_builtins[name]
    for name in (
        "None",
        "False",
        "True",
        "abs",
        "bool",
        "float",
        "int",
        "len",
        "round",
        "str",
        "tuple",
        "sorted",
        "isinstance",
        "min",
        "max",
        "zip",
        "divmod",
        "repr",
    )
    if name in safe_builtins
}
BUILTINS.update(range=_bounded_range, list=list, dict=dict, set=set, any=any, all=all, sum=sum, enumerate=enumerate)

GUARDS: dict[str, Any] = {
    "__builtins__": BUILTINS,
    "_getattr_": _guarded_getattr,
    "_getitem_": lambda obj, key: obj[key],
    "_getiter_": iter,
    "_write_": _write,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": lambda op, x, y: _INPLACE[op](x, y),
}
_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": lambda x, y: x + y,
    "-=": lambda x, y: x - y,
    "*=": lambda x, y: x * y,
}


def _check_tree(source: str, mode: str) -> None:
    if len(source) > MAX_SOURCE:
        raise SandboxError("the expression or script is longer than 10,000 characters")
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as err:
        raise SandboxError(f"syntax error: {err.msg} (line {err.lineno})") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Pow, ast.LShift)):
            raise SandboxError("powers and shifts are not allowed in a diagram")
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool)
            and abs(node.value) > MAX_CONSTANT
        ):
            raise SandboxError(f"numbers above {MAX_CONSTANT:,} are not allowed in a diagram")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "__" in node.value:
            raise SandboxError("text containing '__' is not allowed in a diagram")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            raise SandboxError("imports are not allowed in a diagram")
        if isinstance(
            node,
            (
                ast.Lambda,
                ast.FunctionDef,
                ast.AsyncFunctionDef,
                ast.ClassDef,
                ast.While,
                ast.Global,
                ast.Nonlocal,
                ast.Yield,
                ast.YieldFrom,
                ast.Await,
            ),
        ):
            raise SandboxError(f"{type(node).__name__} is not allowed in a diagram")


@lru_cache(maxsize=2048)
def compile_expression(source: str) -> CodeType:
    """Compile a gateway condition or timer expression, or raise SandboxError saying why not."""
    _check_tree(source, "eval")
    result = compile_restricted_eval(source, FILENAME)
    if result.errors or result.code is None:
        raise SandboxError("; ".join(result.errors) or "the expression could not be compiled")
    code: CodeType = result.code
    return code


@lru_cache(maxsize=512)
def compile_script(source: str) -> CodeType:
    """Compile a script task's script, or raise SandboxError saying why not."""
    _check_tree(source, "exec")
    result = compile_restricted_exec(source, FILENAME)
    if result.errors or result.code is None:
        raise SandboxError("; ".join(result.errors) or "the script could not be compiled")
    code: CodeType = result.code
    return code


class _Budget:
    """Steps and seconds a piece of diagram code may use; time in trusted host functions is not counted."""

    def __init__(self) -> None:
        self.steps = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def trusted(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            try:
                return function(*args, **kwargs)
            finally:
                self.deadline += time.monotonic() - started

        return call

    def run(self, body: Callable[[], Any]) -> Any:
        def tracer(frame: FrameType, event: str, arg: object) -> Any:
            if frame.f_code.co_filename == FILENAME:
                self.steps += 1
                if self.steps > MAX_STEPS or time.monotonic() > self.deadline:
                    raise SandboxError("the diagram's script ran too long and was stopped")
                return tracer
            return None

        previous = sys.gettrace()
        sys.settrace(tracer)
        try:
            return body()
        finally:
            sys.settrace(previous)


def _scope(names: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]], budget: _Budget) -> dict[str, Any]:
    return {**GUARDS, **{k: budget.trusted(f) for k, f in functions.items()}, **names}


def evaluate(source: str, names: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]) -> Any:
    """Evaluate an expression over task data `names`, with `functions` the diagram may call."""
    code = compile_expression(source)
    budget = _Budget()
    scope = _scope(names, functions, budget)
    try:
        return budget.run(lambda: eval(code, scope))  # noqa: S307 - restricted code, guarded scope
    except SandboxError:
        raise
    except Exception as err:  # noqa: BLE001 - any failure of diagram code is reported, not raised raw
        raise SandboxError(f"{type(err).__name__}: {err}") from None


def execute(source: str, names: dict[str, Any], functions: Mapping[str, Callable[..., Any]]) -> None:
    """Run a script over task data `names` in place; new variables become task data."""
    code = compile_script(source)
    budget = _Budget()
    scope = _scope(names, functions, budget)
    try:
        budget.run(lambda: exec(code, scope))  # noqa: S102 - restricted code, guarded scope
    except SandboxError:
        raise
    except Exception as err:  # noqa: BLE001
        raise SandboxError(f"{type(err).__name__}: {err}") from None
    hidden: Iterable[str] = set(GUARDS) | set(functions)
    for key, value in scope.items():
        if key not in hidden and not callable(value):
            names[key] = value
    for key in [k for k in names if k not in scope]:
        del names[key]
