"""`grade watch`: re-grade a module every time the learner saves it (rustlings' loop).

watchfiles uses the OS's file events; where those do not work (some network and WSL mounts,
or too many watches) it falls back to polling, as does `--poll`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path


def modules_to_regrade(changed: Iterable[Path], modules: list[str]) -> list[str]:
    """The modules to grade after a save: the saved modules themselves, or every selected
    module when a shared file of the package (a helper, `__init__.py`) changed."""
    names = {p.stem for p in changed if p.suffix == ".py"}
    hit = [m for m in modules if m in names]
    return hit if hit else (modules if names else [])


def watch(package_dir: Path, modules: list[str], grade: Callable[[list[str]], None],
          *, poll: bool = False, notify: Callable[[str], None] = print,
          stop_after: int | None = None) -> None:
    """Grade `modules` now and after every change under package_dir, until Ctrl-C.

    stop_after: stop after that many re-grades (for tests).
    """
    import watchfiles

    def only_python(change: watchfiles.Change, path: str) -> bool:
        return path.endswith(".py")

    grade(modules)
    rounds = 0
    force_polling = poll
    while True:
        notify(f"Watching {package_dir} for saves{' (polling)' if force_polling else ''}. "
               "Ctrl-C to stop.")
        try:
            for changes in watchfiles.watch(package_dir, watch_filter=only_python,
                                            force_polling=force_polling, poll_delay_ms=300,
                                            raise_interrupt=True):
                todo = modules_to_regrade((Path(p) for _, p in changes), modules)
                if todo:
                    grade(todo)
                    rounds += 1
                    if stop_after is not None and rounds >= stop_after:
                        return
            return
        except OSError as e:
            if force_polling:
                raise
            notify(f"File events are not available here ({e}); polling instead.")
            force_polling = True
