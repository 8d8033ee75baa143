"""`grade gradescope-bundle`: the autograder zip that Gradescope expects.

The zip holds `setup.sh` (installs the project on Gradescope's image), `run_autograder` (grades
`/autograder/submission` into `/autograder/results/results.json`) and `source/`: the course
with its hidden tests but never `solutions/`. The submission contributes only its module
files (see `grade phase-N --from`), uploaded as a repository, a `phaseN/` folder or bare files.
`AUTOGRADER_ROOT` replaces `/autograder` for testing the bundle locally.
"""

from __future__ import annotations

import shlex
import tempfile
import zipfile
from pathlib import Path

from grader.manifest import Phase
from grader.release import copy_distribution

SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image.
set -euo pipefail
cd "${AUTOGRADER_ROOT:-/autograder}/source"
# PyTorch first, pinned: a bare `torch` requirement pulls a multi-GB CUDA build. Point pip at a
# CPU wheel index here if your image needs one.
python3 -m pip install "torch==2.13.0"
python3 -m pip install -e .
"""

RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission. The tests, grader and shared helpers all come
# from source/; only the submission's module files are graded.
set -u
AG="${{AUTOGRADER_ROOT:-/autograder}}"
mkdir -p "$AG/results"
cd "$AG/source"
export TTI_ROOT="$AG/source" HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
python3 -m grader.cli {phase} {modules} --from "$AG/submission" \\
    --export gradescope "$AG/results/results.json" > "$AG/results/grader_output.txt" 2>&1
if [ ! -s "$AG/results/results.json" ]; then
    # Grading could not start (e.g. no module files in the upload): say why, score 0.
    python3 - "$AG/results" <<'PY'
import json, pathlib, sys
results = pathlib.Path(sys.argv[1])
output = (results / "grader_output.txt").read_text(errors="replace")[-4000:]
(results / "results.json").write_text(json.dumps({{"score": 0, "output": output, "tests": []}}))
PY
fi
exit 0
"""


def make_bundle(root: Path, phase: Phase, out: Path, modules: list[str]) -> int:
    """Write the zip; return the number of files in it."""
    module_args = " ".join(shlex.quote(m) for m in modules)
    with tempfile.TemporaryDirectory(prefix="tti-bundle-") as tmp:
        source = Path(tmp) / "source"
        copy_distribution(root, source, hidden_tests=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        count = 0
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in (("setup.sh", SETUP),
                               ("run_autograder", RUN.format(phase=phase.key,
                                                             modules=module_args))):
                info = zipfile.ZipInfo(name)
                info.external_attr = 0o755 << 16  # executable, as Gradescope requires
                zf.writestr(info, text)
                count += 1
            for path in sorted(source.rglob("*")):
                if path.is_file():
                    zf.write(path, path.relative_to(Path(tmp)).as_posix())
                    count += 1
    return count
