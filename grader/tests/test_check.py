"""`grade check`, the maintainer's gate, on the toy repository."""

from __future__ import annotations


def test_clean_repository_passes(toy) -> None:
    proc = toy.grade("check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all 2 modules of 1 phase(s) pass every check" in proc.stdout


def test_each_kind_of_violation_is_reported(toy) -> None:
    # a stub that already passes a test
    toy.write("phases/phase5/phase5/adder.py",
              'def add(a: int, b: int) -> int:\n    """Return a + b."""\n    return 3\n')
    # a solution that fails, and whose signature differs from its stub
    toy.write("solutions/phase5/phase5/other.py",
              'def add(a: int, c: int) -> int:\n    """Return a + b."""\n    return a - c\n')
    # a module file with no manifest entry, and a manifest entry with no hidden test
    toy.write("phases/phase5/phase5/orphan.py", "")
    (toy.root / "phases/phase5/tests/hidden/test_other.py").unlink()
    proc = toy.grade("check")
    out = proc.stdout
    assert proc.returncode == 1
    assert "test_adds_small_numbers" in out and "pass on the stub" in out
    assert "solution passes" in out
    assert "signatures differ" in out
    assert "orphan.py has no entry in phase.toml" in out
    assert "no hidden tests" in out


def test_stub_failing_with_another_error_is_a_violation(toy) -> None:
    toy.write("phases/phase5/phase5/adder.py",
              'def add(a: int, b: int) -> int:\n    """Return a + b."""\n    return None + 1\n')
    proc = toy.grade("check", "phase-5")
    assert proc.returncode == 1
    assert "fails with something other than NotImplementedError" in proc.stdout
    assert "TypeError" in proc.stdout


def test_stub_that_does_not_import_is_a_violation(toy) -> None:
    toy.write("phases/phase5/phase5/other.py", "import nothing_here\n")
    proc = toy.grade("check")
    assert proc.returncode == 1
    assert "ModuleNotFoundError" in proc.stdout


def test_a_stub_experiment_must_stop_at_the_stub(toy) -> None:
    toy.write("phases/phase5/experiments/adder.py",
              "from phase5.adder import add\n\n\ndef run(out):\n    return add(1, 2)\n")
    assert toy.grade("check", "phase-5").returncode == 0  # NotImplementedError: not started
    toy.write("phases/phase5/experiments/adder.py", "def run(out):\n    return 1 / 0\n")
    proc = toy.grade("check", "phase-5")
    assert proc.returncode == 1
    assert "stub experiment stops cleanly" in proc.stdout and "ZeroDivisionError" in proc.stdout
