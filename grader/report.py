"""What people and machines read: rich tables for people, one JSON document for machines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.manifest import Phase
from grader.results import ModuleResult, format_failure

STYLE = {
    "passed": ("✔ passed", "green"),
    "in_progress": ("◐ in progress", "yellow"),
    "not_started": ("○ not started", "dim"),
    "error": ("✖ error", "red"),
    "timeout": ("⌛ timed out", "red"),
    "crashed": ("✖ crashed", "red"),
    "skipped": ("– skipped", "cyan"),
    "not_graded": ("· not graded", "dim"),
}


def status_text(status: str, public_only: bool = False) -> Text:
    label, style = STYLE.get(status, (status, ""))
    if public_only and status in ("passed", "in_progress", "not_started"):
        label += " (public tests only)"
    return Text(label, style=style)


def bar(done: int, total: int, width: int = 20) -> Text:
    filled = round(width * done / total) if total else 0
    style = "green" if total and done == total else "yellow" if done else "dim"
    return Text("█" * filled, style=style) + Text("░" * (width - filled), style="dim")


def one_line(result: ModuleResult) -> Text:
    """A line printed as each module finishes, so long runs show progress."""
    text = Text(f"  {result.phase} {result.module:<24} ")
    text += status_text(result.status, not result.hidden_ran)
    text += Text(f"  {result.passed}/{result.total}  {result.duration:.1f}s", style="dim")
    return text


def results_table(phase: Phase, results: list[ModuleResult], target_label: str) -> Table:
    table = Table(title=f"{phase.key} · {phase.title}  [dim]({target_label})[/dim]",
                  title_justify="left")
    table.add_column("module")
    table.add_column("status")
    table.add_column("tests", justify="right")
    table.add_column("time", justify="right")
    for r in results:
        tests = f"{r.passed}/{r.total}"
        if r.hidden_not_run:
            tests += f" (+{r.hidden_not_run} hidden)"
        if r.skipped:
            tests += f" ({r.skipped} skipped)"
        table.add_row(r.module, status_text(r.status, not r.hidden_ran), tests,
                      f"{r.duration:.1f}s")
    return table


def print_run(console: Console, phase: Phase, results: list[ModuleResult], target_label: str,
              verbose: bool) -> None:
    console.print(results_table(phase, results, target_label))
    for r in results:
        if r.status == "passed":
            continue
        failures = r.failures if verbose and r.status not in ("error", "crashed") else []
        if not failures:
            message = r.first_failure
            if message:
                console.print(Text(f"\n{r.module}: ", style="bold") + Text(message))
        else:
            console.print(Text(f"\n{r.module}:", style="bold"))
            for t in failures:
                console.print(Text("  • ") + Text(format_failure(t)))
    public_only = [r for r in results if not r.hidden_ran]
    if public_only:
        console.print(Text("\nPublic tests only: this copy has no hidden tests, so no module can "
                           "be fully graded here. Your instructor's grading runs them all.",
                           style="cyan"))
        for r in public_only:
            of = (f" of {r.public_total + r.hidden_not_run}" if r.hidden_not_run else "")
            console.print(Text(f"  {r.module}: public tests only: {r.public_total}{of} tests "
                               "of this module ran", style="cyan"))


def print_summary(console: Console, phase: Phase, results: list[ModuleResult],
                  show_next: bool = True) -> None:
    fully = sum(r.status == "passed" and r.hidden_ran for r in results)
    public = sum(r.status == "passed" and not r.hidden_ran for r in results)
    if results and fully == len(results):
        console.print(Text(f"\nAll {len(results)} modules passed.", style="bold green"))
        return
    line = f"\n{fully} of {len(results)} modules passed"
    if public:
        line += f"; {public} more pass their public tests (hidden tests not run here)"
    console.print(Text(line + ".", style="bold"))
    todo = next((r for r in results if r.status != "passed"), None)
    if todo is not None and show_next:
        path = phase.directory / phase.package / f"{todo.module}.py"
        try:
            path = path.relative_to(Path.cwd())
        except ValueError:
            pass
        console.print(f"Next: {path}  (stuck? grade hint {todo.phase} {todo.module})")


def json_document(target_label: str, per_phase: list[tuple[Phase, list[ModuleResult]]],
                  interrupted: bool = False) -> str:
    doc: dict[str, Any] = {
        "target": target_label,
        "phases": [{"phase": p.key, "modules": [r.to_json() for r in rs]}
                   for p, rs in per_phase],
    }
    if interrupted:
        doc["interrupted"] = True
    return json.dumps(doc, indent=2)
