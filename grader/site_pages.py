"""The Markdown pages of the course site, written from the repository so they cannot drift.

A module's page has five parts: the intuition and the math (from `phases/phaseN/docs/<m>.md`,
the one place they live), the code (the stub's API, rendered by mkdocstrings from the stub:
never the solution), the tests (their names and docstrings, in words: what is checked, not the
expected values) and the experiment (the reference's pictures with their captions).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from grader.manifest import Module, Phase
from grader.paths import module_test_files

REQUIRED_SECTIONS = ("## Intuition", "## The math")
_RELATIVE_LINK = re.compile(r"\[([^\]]+)\]\((?!https?://|#)[^)]*\)")


def module_docs_file(phase: Phase, module: str) -> Path:
    return phase.directory / "docs" / f"{module}.md"


def docs_problems(phase: Phase, module: str) -> list[str]:
    """What is wrong with a module's intuition-and-math file (empty when nothing)."""
    path = module_docs_file(phase, module)
    if not path.is_file():
        return [f"{path} is missing"]
    text = path.read_text(encoding="utf-8")
    problems = [f"{path} has no '{s}' section" for s in REQUIRED_SECTIONS if s not in text]
    if text.lstrip().startswith("# "):
        problems.append(f"{path} starts with an H1; the page title comes from the manifest")
    return problems


def unlink_relative(markdown: str) -> str:
    """Keep the text of links to repository files, which do not exist on the site."""
    return _RELATIVE_LINK.sub(r"\1", markdown)


# Test names are lower case; these words and phrases read better as written in the text.
SPELLINGS = {w.lower(): w for w in (
    "KL MLE MAP CLT XOR SGD AdamW Adam LSTM RNN GRU MLP CNN GPT BPE WordPiece RoPE ALiBi KV "
    "MLM NSP GLUE BERT LLaMA GQA MQA SVM PCA SVD EM CE MSE BCE ReLU GELU SiLU SwiGLU RMSNorm "
    "RMSprop LayerNorm BatchNorm BatchNorm1d BatchNorm2d GroupNorm InstanceNorm2d SDPA T5 MNIST "
    "NaN API CLI LBFGS GMM KKT RBF IDX SimCLR DropConnect CutMix MixUp NLL SGNS GloVe BigBird LM"
).split()}
PHRASES = {"gpt2": "GPT-2", "kmeans": "k-means", "utf8": "UTF-8", "info nce": "InfoNCE",
           "nt xent": "NT-Xent", "f linear": "F.linear", "nn linear": "nn.Linear",
           "drop path": "drop-path", "top k": "top-k", "top p": "top-p", "kv cache": "KV cache"}


def _sentence(name: str, doc: str | None) -> str:
    if doc:
        return doc.strip().splitlines()[0].strip()
    text = " ".join(w for w in name.removeprefix("test_").split("_") if w)
    for phrase, written in PHRASES.items():
        text = re.sub(rf"\b{phrase}\b", written, text)
    text = " ".join(SPELLINGS.get(w, w) for w in text.split(" "))
    return text[:1].upper() + text[1:] + "."


def sentences_of_tests(path: Path) -> list[str]:
    """One sentence per test function in `path` (its docstring's first line, else its name)."""
    if not path.is_file():
        return []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [_sentence(node.name, ast.get_docstring(node)) for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test_")]


def _tests_section(phase: Phase, module: Module) -> list[str]:
    public, hidden = module_test_files(phase, module.name)
    public_tests, hidden_tests = sentences_of_tests(public), sentences_of_tests(hidden)
    lines = ["## The tests", "",
             f"`grade {phase.key} {module.name}` runs {len(public_tests)} public tests, which you "
             f"can read in `phases/{phase.package}/tests/test_{module.name}.py`, and "
             f"{len(hidden_tests)} hidden ones. In words, they check:", "",
             "**Public**", ""]
    lines += [f"- {s}" for s in public_tests] + ["", "**Hidden**", ""]
    lines += [f"- {s}" for s in hidden_tests] or ["- (none)"]
    return lines + [""]


def _experiment_section(phase: Phase, module: Module, figures: dict[str, str],
                        no_data: bool) -> list[str]:
    lines = ["## The experiment", ""]
    if no_data:
        return lines + ["The pictures need a data set that was missing when this site was "
                        "built (see `shared/data.py`). With the data in `TTI_DATA_DIR`, draw "
                        f"them yourself: `grade experiment {phase.key} {module.name}`.", ""]
    if not figures:
        return lines + ["This module has no experiment yet.", ""]
    for name, caption in figures.items():
        lines += [f"![{caption}]({module.name}/{name})", "", f"*{caption}*", ""]
    lines += ["These pictures come from the reference solution. Draw them with your own code:",
              "", "```bash", f"grade experiment {phase.key} {module.name}", "```", ""]
    return lines


def module_page(phase: Phase, module: Module, figures: dict[str, str],
                no_data: bool = False) -> str:
    intuition_and_math = module_docs_file(phase, module.name).read_text(encoding="utf-8")
    lines = [f"# {module.title}", "",
             f"`{phase.key}` · module `{module.name}` · covers "
             + ", ".join(f"`{c}`" for c in module.covers), "",
             unlink_relative(intuition_and_math).strip(), "",
             "## The code", "",
             f"You write `phases/{phase.package}/{phase.package}/{module.name}.py`. Its API, "
             "from the stub's docstrings (the spec):", "",
             f"::: {phase.package}.{module.name}", ""]
    lines += (_tests_section(phase, module)
              + _experiment_section(phase, module, figures, no_data))
    return "\n".join(lines)


def phase_page(phase: Phase) -> str:
    readme = unlink_relative((phase.directory / "README.md").read_text(encoding="utf-8"))
    lines = [readme.strip(), "", "## The pages of this phase", ""]
    lines += [f"{i}. [{m.title}]({m.name}.md)" for i, m in enumerate(phase.modules, 1)]
    return "\n".join(lines) + "\n"


def _section(markdown: str, heading: str) -> str:
    """The body of the `## heading` section of a Markdown text."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown, re.S | re.M)
    return match.group(1).strip() if match else ""


def home_page(root: Path, phases: list[Phase]) -> str:
    readme = (root / "README.md").read_text(encoding="utf-8")
    intro = readme.split("\n## ", 1)[0].split("\n", 1)[1].strip()
    lines = ["# Tensor to Intelligence", "", unlink_relative(intro), "", "## The roadmap", "",
             "| phase | | modules | status |", "|---|---|---|---|"]
    for p in phases:
        status = "in progress" if p.in_progress else "complete"
        lines.append(f"| [{p.number}]({p.key}/index.md) | {p.title} | {len(p.modules)} | "
                     f"{status} |")
    lines += ["", "Every module page has five parts: the intuition, the math, the code you "
              "write (the stub's API), what the tests check, and an experiment that draws what "
              "your code does.", "", "## How to start", "",
              unlink_relative(_section(readme, "Quickstart")), "",
              unlink_relative(_section(readme, "The learner's loop")), ""]
    return "\n".join(lines)
