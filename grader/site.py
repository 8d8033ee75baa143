"""Build the course site: run every experiment on the reference, write the pages, run MkDocs.

    python -m grader.site [--out build/site] [--jobs 2]     (what `nox -s docs` runs)

Everything is generated into build/site-src (pages, pictures, mkdocs.yml) and built with
`mkdocs build --strict`, so a broken link, a missing picture or an unresolvable API reference
fails the build. Formulas are rendered by MathJax 2, copied from a local installation when
there is one (Debian's libjs-mathjax, or $TTI_MATHJAX_DIR) so that the site works offline;
otherwise pages load it from a CDN.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from grader.experiment import ExperimentResult, experiment_modules, run_experiments
from grader.manifest import Phase, load_phases
from grader.paths import Target, find_root
from grader.site_pages import docs_problems, home_page, module_page, phase_page

MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@2.7.9/MathJax.js"
MATHJAX_DIRS = ("/usr/share/javascript/mathjax", "/usr/share/mathjax")
# The parts of MathJax 2 the pages use: TeX input, CommonHTML output and their fonts.
MATHJAX_PARTS = ("MathJax.js", "extensions", "jax/input/TeX", "jax/output/CommonHTML",
                 "jax/element", "fonts/HTML-CSS/TeX/woff")
MATHJAX_CONFIG = """\
// MathJax 2: typeset only what pymdownx.arithmatex marked, with \\( \\) and \\[ \\].
window.MathJax = {
  jax: ["input/TeX", "output/CommonHTML"],
  extensions: ["tex2jax.js"],
  TeX: {extensions: ["AMSmath.js", "AMSsymbols.js"]},
  tex2jax: {inlineMath: [["\\\\(", "\\\\)"]], displayMath: [["\\\\[", "\\\\]"]],
            ignoreClass: ".*", processClass: "arithmatex"},
  showMathMenu: false,
  messageStyle: "none",
};
"""


class SiteError(Exception):
    """The site cannot be built (a reference experiment failed, a docs file is missing...)."""


def local_mathjax() -> Path | None:
    for d in filter(None, (os.environ.get("TTI_MATHJAX_DIR"), *MATHJAX_DIRS)):
        if (Path(d) / "MathJax.js").is_file():
            return Path(d)
    return None


def _copy_mathjax(docs: Path) -> str:
    """Put MathJax's script into the site (or name the CDN); returns the script's address."""
    (docs / "javascripts").mkdir(parents=True, exist_ok=True)
    (docs / "javascripts" / "mathjax-config.js").write_text(MATHJAX_CONFIG, encoding="utf-8")
    source = local_mathjax()
    if source is None:
        print("site: no local MathJax (apt install libjs-mathjax, or set TTI_MATHJAX_DIR): "
              "the pages load it from a CDN, so formulas need a network connection.")
        return MATHJAX_CDN
    for part in MATHJAX_PARTS:
        src, dst = source / part, docs / "javascripts" / "mathjax" / part
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        elif src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return "javascripts/mathjax/MathJax.js"


def mkdocs_config(phases: list[Phase], site_dir: Path, mathjax: str) -> dict:
    nav: list = [{"Home": "index.md"}]
    for p in phases:
        pages = [{"Overview": f"{p.key}/index.md"}]
        pages += [{m.title: f"{p.key}/{m.name}.md"} for m in p.modules]
        nav.append({f"Phase {p.number}: {p.title}": pages})
    return {
        "site_name": "Tensor to Intelligence",
        "docs_dir": "docs",
        "site_dir": str(site_dir),
        "use_directory_urls": False,  # pages open straight from disk, file:// included
        "theme": {"name": "material", "font": False,  # no Google Fonts: works offline
                  "features": ["navigation.sections", "navigation.top", "toc.follow"]},
        "markdown_extensions": ["admonition", "tables", "toc",
                                {"pymdownx.arithmatex": {"generic": True}},
                                "pymdownx.superfences"],
        "extra_javascript": ["javascripts/mathjax-config.js", mathjax],
        "plugins": ["search", {"mkdocstrings": {"handlers": {"python": {
            # The stubs, never the solutions: the code section shows the API to write.
            "paths": [str(p.directory) for p in phases],
            "options": {"show_source": False, "show_root_heading": False,
                        "show_root_toc_entry": False, "heading_level": 3,
                        "members_order": "source", "docstring_style": "google",
                        "separate_signature": True, "show_signature_annotations": True,
                        "show_if_no_docstring": True,
                        "docstring_options": {"warn_unknown_params": False,
                                              "warn_missing_types": False}},
        }}}}],
        "nav": nav,
    }


def run_reference_experiments(root: Path, phases: list[Phase], docs: Path,
                              jobs: int) -> dict[tuple[str, str], ExperimentResult]:
    """Every experiment on the reference solutions, pictures next to the module's page."""
    target = Target("solutions", root)
    results = {}
    total = sum(len(experiment_modules(p)) for p in phases)
    done = 0

    def progress(r: ExperimentResult) -> None:
        nonlocal done
        done += 1
        state = f"{len(r.figures)} picture(s)" if r.ok else f"{r.status}: {r.message}"
        print(f"site: experiment {done}/{total} {r.phase} {r.module}: {state} "
              f"({r.seconds:.1f} s)", flush=True)

    for p in phases:
        for r in run_experiments(target, p, experiment_modules(p), docs / p.key, progress,
                                 jobs=jobs):
            results[(p.key, r.module)] = r
    return results


def write_pages(root: Path, phases: list[Phase], docs: Path,
                results: dict[tuple[str, str], ExperimentResult]) -> None:
    (docs / "index.md").write_text(home_page(root, phases), encoding="utf-8")
    for p in phases:
        (docs / p.key).mkdir(parents=True, exist_ok=True)
        (docs / p.key / "index.md").write_text(phase_page(p), encoding="utf-8")
        for m in p.modules:
            result = results.get((p.key, m.name))
            figures = result.figures if result is not None else {}
            no_data = result is not None and result.status == "no_data"
            (docs / p.key / f"{m.name}.md").write_text(module_page(p, m, figures, no_data),
                                                       encoding="utf-8")


def build(root: Path, site_dir: Path, jobs: int = 2, require_data: bool = False) -> None:
    start = time.monotonic()
    phases = load_phases(root)
    problems = [msg for p in phases for m in p.modules for msg in docs_problems(p, m.name)]
    if problems:
        raise SiteError("\n".join(problems))
    src = root / "build" / "site-src"
    shutil.rmtree(src, ignore_errors=True)
    docs = src / "docs"
    docs.mkdir(parents=True)
    results = run_reference_experiments(root, phases, docs, jobs)
    missing_data = [r for r in results.values() if r.status == "no_data"]
    for r in missing_data:
        print(f"site: {r.phase} {r.module} has no pictures: its data set is missing", flush=True)
    if missing_data and require_data:
        raise SiteError("--require-data: experiments without their data set:\n" + "\n".join(
            f"{r.phase} {r.module}: {r.message}" for r in missing_data))
    failed = [r for r in results.values() if not r.ok and r.status != "no_data"]
    if failed:
        raise SiteError("reference experiments failed:\n" + "\n".join(
            f"{r.phase} {r.module}: {r.status}: {r.message}" for r in failed))
    write_pages(root, phases, docs, results)
    mathjax = _copy_mathjax(docs)
    config = src / "mkdocs.yml"
    # JSON is YAML: no YAML writer needed.
    config.write_text(json.dumps(mkdocs_config(phases, site_dir.resolve(), mathjax),
                                 indent=1), encoding="utf-8")
    print(f"site: mkdocs build --strict ({len(results)} experiments took "
          f"{time.monotonic() - start:.0f} s)", flush=True)
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                           "-f", str(config)], cwd=src,
                          env=dict(os.environ, NO_MKDOCS_2_WARNING="1"))
    if proc.returncode != 0:
        raise SiteError("mkdocs build --strict failed (see its messages above)")
    print(f"site: built {site_dir} in {time.monotonic() - start:.0f} s; open "
          f"{site_dir / 'index.html'}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.site", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="default: build/site")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--require-data", action="store_true",
                        help="fail when an experiment's data set is missing (default: the page "
                             "says the pictures need the data)")
    args = parser.parse_args(argv)
    root = find_root()
    try:
        build(root, args.out or root / "build" / "site", args.jobs, args.require_data)
    except SiteError as e:
        print(f"site: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
