"""Benchmark results: each benchmark writes its own section under bench/results/, and bench/README.md is
put together from every section, so running one benchmark keeps the others' latest figures."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
ORDER = ["step", "state_size", "http", "inbox", "national", "load"]

INTRO = (
    "# Benchmarks\n\n"
    "`make bench` (`python -m bench`) runs every benchmark below; `python -m bench NAME` runs one. Each section "
    "says when and with which command it was measured, on a 2-core machine shared with other work: read the "
    "ratios against the baseline measured in the same run, not the milliseconds.\n"
)


def write_section(name: str, title: str, body: str) -> None:
    """Store one benchmark's section (title, date, body in Markdown) and rebuild bench/README.md."""
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    (RESULTS / f"{name}.md").write_text(f"## {title}\n\nMeasured on {stamp}.\n\n{body.strip()}\n", encoding="utf-8")
    rebuild()


def rebuild() -> None:
    names = sorted((p.stem for p in RESULTS.glob("*.md")), key=lambda n: (ORDER.index(n) if n in ORDER else 99, n))
    parts = [INTRO] + [(RESULTS / f"{n}.md").read_text(encoding="utf-8") for n in names]
    (BENCH / "README.md").write_text("\n".join(parts), encoding="utf-8")
