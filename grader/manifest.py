"""Phase manifests (`phases/phaseN/phase.toml`): the single source of truth for modules.

Everything that lists phases or modules (the dashboard, `grade list`, `grade check`, the
runner) reads them through this file. Only the standard library is imported here, so that
the dashboard stays instant.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_TEST_TIMEOUT = 60.0  # seconds per test (pytest-timeout)
DEFAULT_WALL_LIMIT = 600.0  # seconds per module, for the whole child process


class UsageError(Exception):
    """A bad phase or module name, or a bad option: reported with exit code 2."""


@dataclass(frozen=True)
class Module:
    name: str
    title: str
    covers: tuple[str, ...]
    hints: tuple[str, ...]
    points: float | None = None
    test_timeout: float = DEFAULT_TEST_TIMEOUT
    wall_limit: float = DEFAULT_WALL_LIMIT


@dataclass(frozen=True)
class Phase:
    number: int
    title: str
    directory: Path  # phases/phaseN
    modules: tuple[Module, ...] = field(default=())
    in_progress: bool = False  # `status = "in progress"`: not every inventory id covered yet

    @property
    def key(self) -> str:
        """The canonical name, e.g. "phase-0"."""
        return f"phase-{self.number}"

    @property
    def package(self) -> str:
        """The import package, e.g. "phase0"."""
        return f"phase{self.number}"

    def module(self, name: str) -> Module:
        for m in self.modules:
            if m.name == name:
                return m
        raise UsageError(unknown_name_message(f"module of {self.key}", name,
                                              [m.name for m in self.modules]))


def unknown_name_message(kind: str, name: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
    msg = f"Unknown {kind}: {name!r}."
    if close:
        msg += " Did you mean " + " or ".join(repr(c) for c in close) + "?"
    return msg + f" Valid names: {', '.join(valid) if valid else '(none)'}."


def load_phase(directory: Path) -> Phase:
    """Read one phase's manifest. Raises ValueError with the file name on a malformed manifest."""
    path = directory / "phase.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        head = data["phase"]
        modules = tuple(
            Module(
                name=m["name"],
                title=m.get("title", m["name"]),
                covers=tuple(m.get("covers", ())),
                hints=tuple(m.get("hints", ())),
                points=m.get("points"),
                test_timeout=float(m.get("test_timeout", DEFAULT_TEST_TIMEOUT)),
                wall_limit=float(m.get("wall_limit", DEFAULT_WALL_LIMIT)),
            )
            for m in data.get("modules", [])
        )
        return Phase(number=int(head["number"]), title=head.get("title", ""),
                     directory=directory, modules=modules,
                     in_progress=head.get("status") == "in progress")
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{path}: malformed phase manifest ({type(e).__name__}: {e})") from e


def load_phases(root: Path) -> list[Phase]:
    """All phases under root/phases, in number order."""
    dirs = [d for d in (root / "phases").glob("phase*") if (d / "phase.toml").is_file()]
    return sorted((load_phase(d) for d in dirs), key=lambda p: p.number)


_PHASE_NAME = re.compile(r"^(?:phase[-_ ]?)?(\d+)$", re.IGNORECASE)


def parse_phase_number(name: str) -> int | None:
    """"phase-3", "phase3", "Phase_3" and "3" all name phase 3; anything else is None."""
    m = _PHASE_NAME.match(name.strip())
    return int(m.group(1)) if m else None


def find_phase(phases: list[Phase], name: str) -> Phase:
    number = parse_phase_number(name)
    for p in phases:
        if p.number == number:
            return p
    raise UsageError(unknown_name_message("phase", name, [p.key for p in phases]))
