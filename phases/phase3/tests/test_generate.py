"""Public smoke tests for phase3.generate, the command line (the grader also runs hidden tests).

Each test builds a tiny seeded checkpoint with your capstone_minigpt functions (build_model,
save_checkpoint), then runs main(argv) in this process (so its output is captured), or once
as a real `python -m phase3.generate` child process. Oracles: the documented behaviour
(exactly --max-tokens characters then a newline, the same text for the same seed, exit code 2
for a usage error and 1 for a missing checkpoint, with no traceback).
"""

import os
import subprocess
import sys
from pathlib import Path

from phase3_testkit import GENERATE_VOCAB_TEXT as VOCAB_TEXT
from phase3_testkit import make_tiny_checkpoint as make_checkpoint
from phase3_testkit import run_generate_main as run_main


def test_prints_max_tokens_characters_and_a_seed_reproduces_them(tmp_path, capsys):
    """The command prints max_tokens characters and a seed reproduces them."""
    ckpt = tmp_path / "tiny.pt"
    make_checkpoint(ckpt)
    outputs = []
    for _ in range(2):
        code = run_main(["--checkpoint", str(ckpt), "--prompt", "ab", "--max-tokens", "25",
                         "--seed", "7"])
        out = capsys.readouterr().out
        assert code == 0, f"main returned {code} on valid arguments; expected 0"
        outputs.append(out)
    assert outputs[0].endswith("\n") and len(outputs[0]) == 26, (
        f"with --max-tokens 25 and no stop sequence, stdout must be the 25 generated "
        f"characters and one newline (26 characters); got {len(outputs[0])}: {outputs[0]!r}")
    assert set(outputs[0][:-1]) <= set(VOCAB_TEXT), "the output has characters not in the vocab"
    assert outputs[0] == outputs[1], (
        f"two runs with --seed 7 printed different text: {outputs[0]!r} vs {outputs[1]!r}. "
        "Hint: sample with torch.Generator().manual_seed(seed).")


def test_missing_checkpoint_is_one_clear_error_and_exit_code_1(tmp_path, capsys):
    missing = tmp_path / "no_such.pt"
    code = run_main(["--checkpoint", str(missing), "--max-tokens", "5"])
    err = capsys.readouterr().err
    assert code == 1, f"a missing checkpoint must give exit code 1, got {code}"
    assert str(missing) in err and "Traceback" not in err, (
        f"stderr must name the missing file in a clear message, without a traceback; got "
        f"{err!r}")


def test_temperature_outside_its_range_is_a_usage_error(tmp_path, capsys):
    ckpt = tmp_path / "tiny.pt"
    make_checkpoint(ckpt)
    for bad in ("0.05", "2.5", "0"):
        code = run_main(["--checkpoint", str(ckpt), "--temperature", bad])
        capsys.readouterr()
        assert code == 2, (
            f"--temperature {bad} must be rejected by argparse with exit code 2 (the range is "
            f"0.1 to 2.0); got exit code {code}")


def test_runs_as_python_dash_m(tmp_path):
    """The command runs as python -m."""
    import phase3

    ckpt = tmp_path / "tiny.pt"
    make_checkpoint(ckpt)
    package_parent = str(Path(phase3.__path__[0]).parent)  # the phase3 under test
    env = dict(os.environ, PYTHONPATH=package_parent, OMP_NUM_THREADS="1",
               OMP_WAIT_POLICY="PASSIVE")
    result = subprocess.run(
        [sys.executable, "-m", "phase3.generate", "--checkpoint", str(ckpt), "--max-tokens", "12",
         "--seed", "3"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    if "NotImplementedError" in result.stderr:
        raise NotImplementedError("python -m phase3.generate: "
                                  + result.stderr.strip().splitlines()[-1])
    assert result.returncode == 0, (
        f"python -m phase3.generate exited with {result.returncode}; stderr:\n{result.stderr}")
    assert len(result.stdout) == 13 and result.stdout.endswith("\n"), (
        f"python -m phase3.generate --max-tokens 12 must print 12 characters and a newline; "
        f"got {result.stdout!r}. Hint: end the module with "
        "`if __name__ == \"__main__\": raise SystemExit(main())`.")
