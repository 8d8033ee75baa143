"""The course site: every module has its page parts, pages are generated from the repository,
and the built site renders formulas and pictures in a real browser (headless Chromium)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from grader.experiment import experiment_script
from grader.manifest import load_phase, load_phases
from grader.site_pages import docs_problems, module_page, sentences_of_tests, unlink_relative

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "build" / "artifacts"
PAGE_TO_CHECK = ("phase-3", "attention")
# The browser tests may first install Chromium with apt-get (minutes on a fresh machine).
BROWSER_TIMEOUT = 1200


def test_every_module_has_its_intuition_math_and_experiment():
    """The rule for new modules: a docs page and an experiment come with every module."""
    problems = []
    for phase in load_phases(REPO):
        for m in phase.modules:
            problems += docs_problems(phase, m.name)
            if not experiment_script(phase, m.name).is_file():
                problems.append(f"{experiment_script(phase, m.name)} is missing")
    assert not problems, "\n".join(problems)


def test_test_names_become_sentences_and_docstrings_win(tmp_path):
    tests = tmp_path / "test_x.py"
    tests.write_text('def test_causal_mask_hides_future_tokens():\n    pass\n\n\n'
                     'def test_other():\n    """Padding keys get zero weight."""\n\n\n'
                     'def helper():\n    pass\n')
    assert sentences_of_tests(tests) == ["Causal mask hides future tokens.",
                                     "Padding keys get zero weight."]


def test_links_to_repository_files_keep_only_their_text():
    text = "See [the stub](phases/phase0/phase0/linalg.py), [MathJax](https://www.mathjax.org)."
    assert unlink_relative(text) == "See the stub, [MathJax](https://www.mathjax.org)."


def test_a_module_page_has_five_parts_and_never_the_solution(toy):
    toy.write("phases/phase5/docs/adder.md", "## Intuition\n\nSums.\n\n## The math\n\n$a+b$\n")
    phase = load_phase(toy.root / "phases" / "phase5")
    page = module_page(phase, phase.module("adder"), {"sums.png": "It grows."})
    for part in ("## Intuition", "## The math", "## The code", "## The tests",
                 "## The experiment"):
        assert part in page, f"the page lacks {part!r}:\n{page}"
    assert "::: phase5.adder" in page  # mkdocstrings renders the stub's API
    assert "Adds large numbers." in page and "1 public tests" in page and "2 hidden" in page
    assert "![It grows.](adder/sums.png)" in page
    assert "grade experiment phase-5 adder" in page
    assert "return a + b" not in page


def _chromium() -> str | None:
    """Debian's chromium (or a Chrome already there, as on GitHub's runners), installed here if
    missing and possible (root with apt-get)."""
    found = next(filter(None, map(shutil.which, ("chromium", "google-chrome"))), None)
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "install", "-y", "-q", "chromium"],
                ["sh", "-c", "apt-get update -q && apt-get install -y -q chromium"]):
        if subprocess.run(cmd, env=env, capture_output=True, timeout=900).returncode == 0:
            break
    return shutil.which("chromium")


def _skip_or_fail(reason: str) -> None:
    """CI sets TTI_REQUIRE_SITE=1 after building the site: there a skip would hide a failure."""
    if os.environ.get("TTI_REQUIRE_SITE") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser_page():
    site = Path(os.environ.get("TTI_SITE_DIR", REPO / "build" / "site"))
    phase, module = PAGE_TO_CHECK
    page_file = site / phase / f"{module}.html"
    if not page_file.is_file():
        _skip_or_fail(f"the site is not built ({page_file} is missing): run `nox -s docs`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("playwright is not installed: pip install -e '.[docs]'")
    chromium = _chromium()
    if chromium is None:
        _skip_or_fail("no Chromium: install Debian's chromium package (apt install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(page_file.as_uri())
        yield page
        browser.close()


@pytest.mark.timeout(BROWSER_TIMEOUT)
def test_module_page_renders_its_formulas(browser_page):
    browser_page.wait_for_function(
        "() => document.querySelectorAll('.arithmatex .MathJax_CHTML').length > 0",
        timeout=30_000)
    rendered = browser_page.evaluate(
        "document.querySelectorAll('.arithmatex .MathJax_CHTML').length")
    marked = browser_page.evaluate("document.querySelectorAll('.arithmatex').length")
    errors = browser_page.evaluate("document.querySelectorAll('.MathJax_Error, merror').length")
    assert rendered >= marked > 0 and errors == 0, (
        f"{rendered} of {marked} formulas rendered by MathJax, {errors} with TeX errors")


@pytest.mark.timeout(BROWSER_TIMEOUT)
def test_module_page_shows_its_pictures_and_api(browser_page):
    images = browser_page.evaluate(
        "Array.from(document.querySelectorAll('article img'))"
        ".map(i => [i.getAttribute('src'), i.complete && i.naturalWidth])")
    assert images and all(width for _, width in images), f"pictures that did not load: {images}"
    assert browser_page.evaluate("document.querySelectorAll('.doc-function').length") > 0, (
        "the code section shows no function of the stub's API (mkdocstrings)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"site-{'-'.join(PAGE_TO_CHECK)}.png"
    browser_page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:4] == b"\x89PNG"
