"""The README and docs/ hold together: every relative link and anchor resolves, the README stays a
front page, and its two commands are the ones CI and users run (docs/development.md, Tests)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 220

_FENCE = re.compile(r"^\s*(```|~~~)")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_CODE_SPAN = re.compile(r"`+[^`]*`+")


def _prose_lines(text: str):
    """(line number, line) outside fenced code blocks: links and headings in code are not markdown."""
    in_fence = False
    for number, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence:
            yield number, line


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for _, line in _prose_lines(path.read_text(encoding="utf-8")):
        m = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        base = github_anchor(m.group(2))
        n = seen.get(base, 0)
        out.add(base if n == 0 else f"{base}-{n}")  # GitHub numbers repeated headings
        seen[base] = n + 1
    return out


def links(path: Path):
    """(line number, target) of every link and image outside code."""
    for number, line in _prose_lines(path.read_text(encoding="utf-8")):
        for m in _LINK.finditer(_CODE_SPAN.sub("", line)):
            yield number, m.group(1)


def _relative(target: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I)  # http:, https:, mailto:, ...


def test_anchor_rules_match_github():
    assert github_anchor("Medium configuration (M = 1000)") == "medium-configuration-m--1000"
    assert github_anchor('Race study: "It\'s Not a Lottery, It\'s a Race"') == "race-study-its-not-a-lottery-its-a-race"
    assert github_anchor("Configuration (`race:`)") == "configuration-race"
    assert github_anchor("Paper configuration, x^2") == "paper-configuration-x2"


def test_link_finder_sees_links_and_skips_code(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("[a](x.md#y) ![img](f.png) `[no](z.md)`\n```\n[no](w.md)\n```\n[b](https://e.org)\n")
    assert [t for _, t in links(page)] == ["x.md#y", "f.png", "https://e.org"]


def test_docs_pages_exist():
    names = {p.name for p in PAGES}
    for page in ("README.md", "lottery.md", "race.md", "bridge.md", "survey.md", "cli.md", "slurm.md",
                 "performance.md", "development.md"):
        assert page in names, f"docs/{page} is missing"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_and_anchors_resolve(page):
    broken = []
    for number, target in links(page):
        if not _relative(target):
            continue
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / file_part).resolve() if file_part else page
        where = f"{page.relative_to(ROOT)}:{number}: {target}"
        if not dest.exists():
            broken.append(f"{where} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{where} (no heading with that anchor)")
    assert not broken, "broken links:\n" + "\n".join(broken)


def _linked_files(index: Path) -> set[Path]:
    return {(index.parent / t.partition("#")[0]).resolve() for _, t in links(index) if _relative(t)}


def test_every_docs_page_is_linked_from_readme_and_index():
    docs_pages = [p for p in PAGES if p.parent.name == "docs"]
    for index in (ROOT / "README.md", ROOT / "docs" / "README.md"):
        linked = _linked_files(index)
        missing = [p.name for p in docs_pages if p != index and p.resolve() not in linked]
        assert not missing, f"{index.relative_to(ROOT)} does not link docs/{', docs/'.join(missing)}"


def test_every_figure_in_docs_is_shown_somewhere():
    shown = {(p.parent / t).resolve() for p in PAGES for _, t in links(p) if t.endswith(".png")}
    for figure in sorted((ROOT / "docs").glob("*.png")):
        assert figure.resolve() in shown, f"{figure.name} is not referenced by any page"


def test_readme_is_a_front_page_with_the_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= README_MAX_LINES
    assert "pip install -e . && snakemake --cores all" in text
    assert 'pip install -e ".[test]" && pytest' in text
    # CI runs the README's test command as written
    assert 'pip install -e ".[test]" && pytest' in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
