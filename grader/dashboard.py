"""The dashboard: every phase and module, from the stored progress. Never imports torch."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from grader.manifest import Phase
from grader.progress import ProgressStore
from grader.report import bar, status_text


def phase_panel(phase: Phase, store: ProgressStore) -> Panel:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column("module", min_width=22)
    table.add_column("bar")
    table.add_column("tests", justify="right")
    table.add_column("status")
    passed_modules = 0
    for m in phase.modules:
        entry = store.result(phase.key, m.name)
        if entry is None:
            table.add_row(m.name, bar(0, 1), "", status_text("not_graded"))
            continue
        status = str(entry.get("status", "not_graded"))
        passed, total = int(entry.get("passed", 0)), int(entry.get("total", 0))
        public_only = not entry.get("hidden_ran", True)
        passed_modules += status == "passed"
        table.add_row(m.name, bar(passed, total), f"{passed}/{total}",
                      status_text(status, public_only))
    n = len(phase.modules)
    title = f"{phase.title} (in progress)" if phase.in_progress else phase.title
    head = Text(f"{phase.key} · {title}   ", style="bold") + bar(passed_modules, n, 30)
    head += Text(f"  {passed_modules}/{n} modules", style="dim")
    return Panel(Group(head, table), expand=False)


def show(console: Console, phases: list[Phase], store: ProgressStore) -> None:
    if store.warning:
        console.print(Text(store.warning, style="yellow"))
    if not phases:
        console.print("No phases found (phases/phaseN/phase.toml).")
        return
    for phase in phases:
        console.print(phase_panel(phase, store))
    total = sum(len(p.modules) for p in phases)
    done = sum(1 for p in phases for m in p.modules
               if (store.result(p.key, m.name) or {}).get("status") == "passed")
    console.print(Text(f"{done} of {total} modules passed. ", style="bold") +
                  Text("Grade a phase with `grade phase-0`; `grade list` shows every module.",
                       style="dim"))
