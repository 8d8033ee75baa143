"""The `grade` command.

    grade                         the dashboard (also `grade dashboard`)
    grade list                    phases and modules with titles
    grade phase-0 [MODULE ...]    grade a phase (`phase-0`, `phase0` and `0` are the same)
    grade hint phase-0 MODULE     the next hint you have not seen
    grade watch phase-0 [MODULE]  re-grade on every save
    grade check                   the maintainer's gate: solutions pass, stubs fail cleanly
    grade experiment phase-3 attention   draw a module's pictures with your code

Exit codes: 0 every selected test passed, 1 some failed, 2 bad usage, 130 interrupted.
Nothing here imports torch: the dashboard is instant.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from grader import dashboard
from grader.experiment import WALL_LIMIT
from grader.manifest import (
    Phase,
    UsageError,
    find_phase,
    load_phases,
    parse_phase_number,
    unknown_name_message,
)
from grader.paths import Target, find_root, state_dir
from grader.progress import ProgressStore
from grader.report import json_document, one_line, print_run, print_summary
from grader.results import ModuleResult
from grader.runner import Job, RunOptions, default_jobs, run_jobs

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class PhaseAwareGroup(TyperGroup):
    """Lets `grade phase-3 ...` (or `phase3`, `3`) stand for `grade run phase-3 ...`."""

    def resolve_command(self, ctx, args):  # noqa: ANN001, ANN201 (click's signature)
        if args and not args[0].startswith("-") and self.get_command(ctx, args[0]) is None:
            if parse_phase_number(args[0]) is not None:
                return "run", self.get_command(ctx, "run"), args
            commands = sorted(c for c in self.list_commands(ctx) if c != "run")
            try:
                phases = [p.key for p in load_phases(find_root())]
            except (UsageError, ValueError):
                phases = []
            _fail_usage(unknown_name_message("command or phase", args[0], commands + phases))
        return super().resolve_command(ctx, args)


app = typer.Typer(cls=PhaseAwareGroup, add_completion=False, no_args_is_help=False,
                  rich_markup_mode=None,
                  help="Tensor to Intelligence's autograder. `grade` alone shows your progress; "
                  "`grade phase-0 [MODULE ...]` grades a phase (also `phase0` or `0`), with "
                  "--solutions, --from DIR, --json and -v (see `grade run --help`).")


def _fail_usage(message: str) -> None:
    Console(stderr=True).print(Text(message, style="red"))
    # SystemExit rather than typer.Exit: this also runs while resolving the command name.
    raise SystemExit(EXIT_USAGE)


def _phases(root: Path) -> list[Phase]:
    try:
        return load_phases(root)
    except ValueError as e:
        _fail_usage(str(e))
        raise AssertionError from e  # unreachable


def _root() -> Path:
    try:
        return find_root()
    except UsageError as e:
        _fail_usage(str(e))
        raise AssertionError from e


@app.callback(invoke_without_command=True)
def main_callback(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        show_dashboard()


@app.command("dashboard")
def show_dashboard() -> None:
    """Every phase and module, with your stored progress."""
    root = _root()
    store = ProgressStore(state_dir(root))
    dashboard.show(Console(), _phases(root), store)
    if store.warning:
        store.save()


@app.command("list")
def list_modules() -> None:
    """Phases and modules, with titles, in the order to do them."""
    console = Console()
    for phase in _phases(_root()):
        table = Table(title=f"{phase.key} · {phase.title}", title_justify="left",
                      show_header=False)
        table.add_column("module", style="bold")
        table.add_column("title")
        for m in phase.modules:
            table.add_row(m.name, m.title)
        console.print(table)


def _target(root: Path, solutions: bool, source: Path | None) -> Target:
    if solutions and source is not None:
        _fail_usage("Choose one of --solutions and --from DIR.")
    if source is not None:
        if not source.is_dir():
            _fail_usage(f"--from {source}: no such folder.")
        return Target("from", root, source.resolve())
    if solutions and not (root / "solutions").is_dir():
        _fail_usage("--solutions: this checkout has no solutions/ folder (a learner release "
                    "ships without the reference solutions).")
    return Target("solutions" if solutions else "learner", root)


def _select(phase: Phase, modules: list[str]) -> list[Job]:
    try:
        chosen = [phase.module(name) for name in modules] if modules else list(phase.modules)
    except UsageError as e:
        _fail_usage(str(e))
        raise AssertionError from e
    return [Job(phase, m) for m in chosen]


def grade_modules(root: Path, target: Target, phase: Phase, modules: list[str], *,
                  as_json: bool, verbose: bool, options: RunOptions,
                  export: tuple[str, Path] | None = None) -> int:
    """Grade, report and (for the learner's own code) store progress. Returns the exit code."""
    started = time.monotonic()
    out = Console(stderr=as_json, highlight=False)
    err = Console(stderr=True, highlight=False)
    store = ProgressStore(state_dir(root)) if target.kind == "learner" else None
    if store is not None and store.warning:
        err.print(Text(store.warning, style="yellow"))
    jobs = _select(phase, modules)
    err.print(Text(f"Grading {phase.key} ({target.label}): {len(jobs)} module(s)...",
                   style="dim"))
    finished: list[ModuleResult] = []

    def on_result(result: ModuleResult) -> None:
        finished.append(result)
        err.print(one_line(result))
        if store is not None:
            store.record(phase.key, result.module, result.to_store())
            store.save()

    interrupted = False
    try:
        run_jobs(target, jobs, options, on_result)
    except KeyboardInterrupt:
        interrupted = True
    order = {job.module.name: i for i, job in enumerate(jobs)}
    results = sorted(finished, key=lambda r: order[r.module])
    if as_json:
        print(json_document(target.label, [(phase, results)], interrupted))
    else:
        print_run(out, phase, results, target.label, verbose)
        if not interrupted:
            print_summary(out, phase, results, show_next=target.kind == "learner")
    if interrupted:
        err.print(Text(f"Interrupted: {len(results)} finished module(s) kept.", style="yellow"))
        return EXIT_INTERRUPTED
    if export is not None:
        write_export(root, export, [(phase, results)], time.monotonic() - started)
        err.print(Text(f"Wrote {export[0]} results to {export[1]}", style="dim"))
    return EXIT_OK if all(r.status == "passed" for r in results) else EXIT_FAILED


EXPORT_FORMATS = ("gradescope", "junit")


def write_export(root: Path, export: tuple[str, Path],
                 per_phase: list[tuple[Phase, list[ModuleResult]]], elapsed: float) -> None:
    from grader import export as exporters

    fmt, path = export
    if fmt == "gradescope":
        text = json.dumps(exporters.gradescope(root, per_phase, elapsed), indent=2)
    else:
        text = exporters.junit(root, per_phase)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@app.command("run", hidden=True)
def run(
    phase: Annotated[str, typer.Argument(help="phase-N, phaseN or N")],
    modules: Annotated[list[str] | None, typer.Argument(help="modules (default: all)")] = None,
    solutions: Annotated[bool, typer.Option("--solutions", help="grade the reference")] = False,
    source: Annotated[Path | None, typer.Option("--from", help="grade a submission folder")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON document on stdout")] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="every failure")] = False,
    jobs: Annotated[int, typer.Option(help="modules graded at once")] = 0,
    timeout: Annotated[float, typer.Option(help="seconds per test (0: manifest)")] = 0,
    wall_limit: Annotated[float, typer.Option(help="seconds per module (0: manifest)")] = 0,
    export: Annotated[tuple[str, Path] | None, typer.Option(
        help="also write FORMAT (gradescope or junit) results to PATH",
        metavar="FORMAT PATH")] = None,
) -> None:
    """Grade a phase, or some of its modules."""
    if export is not None and export[0] not in EXPORT_FORMATS:
        _fail_usage(f"--export: unknown format {export[0]!r}; use one of "
                    f"{', '.join(EXPORT_FORMATS)}.")
    root = _root()
    try:
        the_phase = find_phase(_phases(root), phase)
        target = _target(root, solutions, source)
        target.package_parent(the_phase)  # a bad --from layout is a usage error
    except UsageError as e:
        _fail_usage(str(e))
        return
    options = RunOptions(jobs=jobs or default_jobs(), test_timeout=timeout or None,
                         wall_limit=wall_limit or None)
    raise typer.Exit(grade_modules(root, target, the_phase, modules or [], as_json=as_json,
                                   verbose=verbose, options=options,
                                   export=(export[0], export[1].resolve()) if export else None))


@app.command("hint")
def hint(phase: str, module: str) -> None:
    """Show the next hint for a module that you have not seen yet."""
    root = _root()
    try:
        the_phase = find_phase(_phases(root), phase)
        the_module = the_phase.module(module)
    except UsageError as e:
        _fail_usage(str(e))
        return
    store = ProgressStore(state_dir(root))
    hints = the_module.hints
    console = Console()
    if not hints:
        console.print(f"{module} has no hints. Read its docstring and the public tests.")
        return
    seen = store.hints_seen(the_phase.key, module)
    if seen >= len(hints):
        console.print(f"You have seen all {len(hints)} hints for {module}:")
        for i, h in enumerate(hints, 1):
            console.print(f"  {i}. {h}")
        return
    console.print(Text(f"Hint {seen + 1} of {len(hints)} for {the_phase.key} {module}:",
                       style="bold"))
    console.print(hints[seen])
    store.see_hint(the_phase.key, module, seen + 1)
    store.save()


@app.command("watch")
def watch(
    phase: str,
    modules: Annotated[list[str] | None, typer.Argument()] = None,
    poll: Annotated[bool, typer.Option(help="poll instead of file events")] = False,
) -> None:
    """Re-grade every time you save one of the phase's files."""
    from grader.watch import watch as watch_loop

    root = _root()
    try:
        the_phase = find_phase(_phases(root), phase)
    except UsageError as e:
        _fail_usage(str(e))
        return
    names = [j.module.name for j in _select(the_phase, modules or [])]
    target = Target("learner", root)
    options = RunOptions(jobs=default_jobs())

    def grade(selected: list[str]) -> None:
        grade_modules(root, target, the_phase, selected, as_json=False, verbose=False,
                      options=options)

    try:
        watch_loop(target.package_parent(the_phase) / the_phase.package, names, grade,
                   poll=poll, notify=lambda m: Console(stderr=True).print(Text(m, style="dim")))
    except KeyboardInterrupt:
        raise typer.Exit(EXIT_OK) from None


@app.command("check")
def check(
    phase: Annotated[list[str] | None, typer.Argument(help="phases (default: all)")] = None,
    jobs: Annotated[int, typer.Option(help="modules graded at once")] = 0,
) -> None:
    """The maintainer's gate: every solution passes, every stub fails cleanly, APIs match."""
    from grader.check import run_check

    root = _root()
    phases = _phases(root)
    try:
        selected = [find_phase(phases, p) for p in phase] if phase else phases
    except UsageError as e:
        _fail_usage(str(e))
        return
    err = Console(stderr=True, highlight=False)

    def on_result(kind: str, result: ModuleResult) -> None:
        err.print(Text(f"[{'solution' if kind == 'solutions' else 'stub'}]") + one_line(result))

    def on_experiment(result) -> None:  # noqa: ANN001 (an ExperimentResult)
        err.print(f"[stub experiment] {result.phase} {result.module}: {result.status} "
                  f"({result.seconds:.1f}s)")

    violations = run_check(root, selected, RunOptions(jobs=jobs or default_jobs()), on_result,
                           on_experiment)
    console = Console(highlight=False)
    n_modules = sum(len(p.modules) for p in selected)
    n_bad = len({(v.phase, v.module) for v in violations})
    if not violations:
        console.print(Text(f"grade check: all {n_modules} modules of {len(selected)} phase(s) "
                           "pass every check.", style="bold green"))
        print(f"check: {n_modules} passed, 0 failed")  # the plain closing line CI reads
        return
    table = Table(title=f"grade check: {len(violations)} violation(s)", title_justify="left")
    for col in ("phase", "module", "check", "detail"):
        table.add_column(col, overflow="fold")
    for v in violations:
        table.add_row(v.phase, v.module, v.check, v.detail)
    console.print(table)
    print(f"check: {max(0, n_modules - n_bad)} passed, {n_bad} failed")
    raise typer.Exit(EXIT_FAILED)


@app.command("release")
def release(
    out: Annotated[Path, typer.Option("--out", help="a new folder for the release")],
) -> None:
    """Write a learner distribution: stubs and public tests, no solutions, no hidden tests."""
    from grader.release import make_release

    root = _root()
    try:
        phases = make_release(root, out)
    except (FileExistsError, ValueError) as e:
        _fail_usage(str(e))
        return
    Console().print(f"Wrote a learner release of {len(phases)} phase(s) to {out}: stubs and "
                    "public tests only (no solutions/, no tests/hidden/).")


@app.command("solutions-branch")
def solutions_branch_command(
    name: Annotated[str, typer.Option("--name", help="the branch to create or update")] =
    "solutions",
) -> None:
    """Create or update a git branch in which the reference solutions replace the stubs."""
    from grader.branch import BranchError, solutions_branch

    try:
        Console().print(solutions_branch(_root(), name))
    except BranchError as e:
        _fail_usage(str(e))


def _phase_and_modules(phase: str, modules: list[str] | None
                       ) -> tuple[Path, Phase, list[str]]:
    """The root, the phase and the modules' canonical names; a bad name is a usage error."""
    root = _root()
    try:
        the_phase = find_phase(_phases(root), phase)
        return root, the_phase, [the_phase.module(m).name for m in modules or []]
    except UsageError as e:
        _fail_usage(str(e))
        raise AssertionError from e


def _phase_and_module(phase: str, module: str) -> tuple[Path, Phase, str]:
    root, the_phase, (name,) = _phase_and_modules(phase, [module])
    return root, the_phase, name


@app.command("gradescope-bundle")
def gradescope_bundle(
    phase: Annotated[str, typer.Option("--phase", help="the phase to grade")],
    out: Annotated[Path, typer.Option("--out", help="the zip to write")] = Path("autograder.zip"),
    module: Annotated[list[str] | None, typer.Option(
        "--module", help="grade only these modules (repeatable; default: all)")] = None,
) -> None:
    """Write Gradescope's autograder zip: setup.sh, run_autograder, the course minus solutions."""
    from grader.gradescope import make_bundle

    root, the_phase, modules = _phase_and_modules(phase, module)
    count = make_bundle(root, the_phase, out, modules)
    Console().print(f"Wrote {out} ({count} files) grading {the_phase.key}"
                    f"{' ' + ', '.join(modules) if modules else ''}. Upload it as the "
                    "assignment's autograder.")


@app.command("experiment")
def experiment(
    phase: str,
    modules: Annotated[list[str] | None, typer.Argument(help="default: every module with one")]
    = None,
    solutions: Annotated[bool, typer.Option("--solutions", help="run on the reference")] = False,
    source: Annotated[Path | None, typer.Option("--from", help="run on a submission folder")]
    = None,
    out: Annotated[Path | None, typer.Option("--out", help="where the pictures go")] = None,
    wall_limit: Annotated[float, typer.Option("--wall-limit", help="seconds per experiment")]
    = WALL_LIMIT,
) -> None:
    """Draw a module's pictures with your code (or the reference's) and say where they are."""
    from grader.experiment import experiment_modules, run_experiments

    root, the_phase, chosen = _phase_and_modules(phase, modules)
    available = experiment_modules(the_phase)
    missing = [m for m in chosen if m not in available]
    if missing or not available:
        _fail_usage(f"{the_phase.key} has no experiment for {', '.join(missing) or 'any module'}"
                    f"; modules with one: {', '.join(available) or 'none yet'}.")
    target = _target(root, solutions, source)
    label = {"learner": "", "solutions": "reference", "from": "submission"}[target.kind]
    out_root = out or state_dir(root) / "experiments" / label / the_phase.key
    console = Console()

    def on_result(result) -> None:  # noqa: ANN001 (an ExperimentResult)
        where = result.out.relative_to(root) if result.out.is_relative_to(root) else result.out
        if result.ok:
            console.print(f"[green]{result.module}[/]: {len(result.figures)} picture(s) in "
                          f"{where}/ ({result.seconds:.1f} s)")
            for name, caption in result.figures.items():
                console.print(f"  {name}: {caption}", highlight=False)
        else:
            console.print(f"[red]{result.module}: {result.status}[/] {result.message}",
                          highlight=False)

    results = run_experiments(target, the_phase, chosen or available, out_root, on_result,
                              jobs=default_jobs(), wall_limit=wall_limit)
    raise typer.Exit(EXIT_OK if all(r.ok for r in results) else EXIT_FAILED)


@app.command("solution")
def solution(
    phase: str,
    module: str,
    force: Annotated[bool, typer.Option("--force", help="show it before passing (asks)")] = False,
) -> None:
    """Show a module's reference solution, once you have passed it."""
    from rich.syntax import Syntax

    from grader.learner import LearnerError, solution_file, unlock_status

    root, the_phase, name = _phase_and_module(phase, module)
    console = Console()
    try:
        path = solution_file(root, the_phase, name)
    except LearnerError as e:
        _fail_usage(str(e))
        return
    left = unlock_status(root, the_phase, name)
    if left is not None:
        console.print(left)
        if not force:
            raise typer.Exit(EXIT_FAILED)
        if not typer.confirm("Reading the answer before you finish spoils the exercise. "
                             "Show it anyway?", default=False):
            raise typer.Exit(EXIT_FAILED)
    console.print(Syntax(path.read_text(encoding="utf-8"), "python", line_numbers=True))


@app.command("reset")
def reset(
    phase: str,
    module: str,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Put a module's original stub back; your file is kept in .tti/backups/."""
    from grader.learner import LearnerError, reset_module

    root, the_phase, name = _phase_and_module(phase, module)
    if not yes and not typer.confirm(f"Replace your {the_phase.package}/{name}.py with the "
                                     "original stub? (a backup is kept)", default=False):
        raise typer.Exit(EXIT_FAILED)
    try:
        backup = reset_module(root, the_phase, name)
    except LearnerError as e:
        _fail_usage(str(e))
        return
    Console().print(f"Restored the stub of {name}. Your previous file is at {backup}.")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    main()
