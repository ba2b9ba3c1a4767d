"""`python -m bench [NAME ...] [-- ARGS]`: run the named benchmarks (all of them when none is named).

Each benchmark is a module of this package with a `main(argv)`; its results land in its own section of
bench/README.md (see bench/report.py).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import ORDER  # noqa: E402


def main(argv: list[str]) -> int:
    names, rest = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    available = [n for n in ORDER if (ROOT / "bench" / f"{n}.py").exists()]
    unknown = [n for n in names if n not in available]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; choose from: {', '.join(available)}", file=sys.stderr)
        return 2
    status = 0
    for name in names or available:
        print(f"== {name}", flush=True)
        status |= importlib.import_module(f"bench.{name}").main(rest if names else [])
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
