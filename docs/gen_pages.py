"""Pages generated at build time by the mkdocs-gen-files plugin (see mkdocs.yml); nothing here is committed output.

1. Every ``bench/results/*.md`` is published as ``benchmarks/results/<name>.md``, read from the repository at
   build time, so the results files stay the one source; ``benchmarks/results/index.md`` lists them.
   Relative links in a results file are rewritten: one to another published results file points to its page;
   one to any other repository file becomes that path shown as code (the site does not hold it, and a link
   leaving the docs would fail ``mkdocs build --strict``). A results file's path written as code
   (`` `bench/results/x.md` ``) becomes a link to its page.
2. The marker line ``<!-- tracefix:options -->`` in ``strategies.md`` is replaced here (in this gen-files
   script, not in a MkDocs hook) by ``tracefix.strategies.catalog.markdown_tables()``, the strategy option
   tables generated from the code. The import is unconditional: if the catalog is missing, the build fails.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import mkdocs_gen_files

from tracefix.strategies import catalog

REPO = Path(mkdocs_gen_files.config.config_file_path).resolve().parent
RESULTS = REPO / "bench" / "results"
RESULTS_REL = "bench/results"
PAGES = "benchmarks/results"
OPTIONS_MARKER = "<!-- tracefix:options -->"

LINK = re.compile(r"(?P<bang>!?)\[(?P<text>[^\]\n]*)\]\((?P<target>[^)\s]+)(?P<title>\s+\"[^\"\n]*\")?\)")
CODE_PATH = re.compile(r"`bench/results/(?P<name>[A-Za-z0-9_.\-]+)\.md`")
FENCE = re.compile(r"^\s*(```|~~~)")
GROUPS = (
    ("Benchmark runs", ("humaneval", "mbpp", "transcoder")),
    ("Probes", ("probe_",)),
)


def published() -> dict[str, Path]:
    """Page name (file stem) -> results file, in name order."""
    return {path.stem: path for path in sorted(RESULTS.glob("*.md"), key=lambda path: path.stem)}


def rewrite_link(match: re.Match[str], names: set[str]) -> str:
    target = match["target"]
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:", target) or target.startswith(("#", "/")):
        return match[0]  # a URL, an anchor of the same page, or a site-absolute path: left as written
    path, _, anchor = target.partition("#")
    where = posixpath.normpath(posixpath.join(RESULTS_REL, path))
    directory, name = posixpath.split(where)
    if directory == RESULTS_REL and name.endswith(".md") and name[:-3] in names and not match["bang"]:
        return f"[{match['text']}]({name}{'#' + anchor if anchor else ''})"
    shown = f"`{where}`"
    text = match["text"].strip()
    return shown if text in ("", where, path, f"`{where}`", f"`{path}`") else f"{text} ({shown})"


def rewrite(text: str, names: set[str]) -> str:
    """Rewrite one results file's links for its page under ``benchmarks/results/`` (see the module docstring)."""
    out, fenced = [], False
    for line in text.splitlines(keepends=True):
        if FENCE.match(line):
            fenced = not fenced
        if not fenced:
            line = LINK.sub(lambda m: rewrite_link(m, names), line)
            line = CODE_PATH.sub(lambda m: f"[{m[0]}]({m['name']}.md)" if m["name"] in names else m[0], line)
        out.append(line)
    return "".join(out)


def title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return fallback


def group(name: str) -> str:
    for heading, prefixes in GROUPS:
        if name.startswith(prefixes):
            return heading
    return "Measurements and analyses"


def results_pages() -> None:
    pages = published()
    names = set(pages)
    listed: dict[str, list[str]] = {heading: [] for heading, _ in GROUPS}
    listed["Measurements and analyses"] = []
    for name, path in pages.items():
        text = path.read_text(encoding="utf-8")
        with mkdocs_gen_files.open(f"{PAGES}/{name}.md", "w") as page:
            page.write(rewrite(text, names))
        mkdocs_gen_files.set_edit_path(f"{PAGES}/{name}.md", path.relative_to(REPO).as_posix())
        heading = title(text, name).replace("|", "\\|")
        listed[group(name)].append(f"| [{name}]({name}.md) | {heading} |")
    with mkdocs_gen_files.open(f"{PAGES}/index.md", "w") as index:
        index.write(
            "# Results files\n\n"
            "Every results file under `bench/results/` in the repository, published as it is at build time "
            "(written by the scripts under `bench/`; each gives its command, date and machine). "
            "How they were made and what the headline numbers are: [Benchmarks](../../benchmarks.md); "
            "how the numbers changed over time: [Measurement history](../../history.md).\n"
        )
        for heading, rows in listed.items():
            if rows:
                index.write(f"\n## {heading}\n\n| page | title |\n| --- | --- |\n" + "\n".join(rows) + "\n")


def strategy_options() -> None:
    with mkdocs_gen_files.open("strategies.md", "r") as page:
        text = page.read()
    if OPTIONS_MARKER not in text:
        raise ValueError(f"docs/strategies.md lost its marker line {OPTIONS_MARKER}")
    tables = catalog.markdown_tables()
    with mkdocs_gen_files.open("strategies.md", "w") as page:
        page.write(text.replace(OPTIONS_MARKER, tables.strip()))


results_pages()
strategy_options()
