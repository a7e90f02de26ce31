"""The documentation stands alone: its index lists every page, and nothing sends a reader to an
issue tracker they may not have (what an issue taught is written down where it applies)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_ISSUE = re.compile(r"\b[Ii]ssues? #?\d+")


def test_the_docs_index_links_every_page() -> None:
    index = (ROOT / "docs" / "README.md").read_text()
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md") if p.name != "README.md")
    assert [p for p in pages if f"]({p})" not in index] == []


def test_no_text_cites_an_issue_number() -> None:
    folders = ("api", "content", "workers", "infra", "docs", "tests", "benchmarks")
    files = [ROOT / name for name in ("README.md", "AGENTS.md", "SECURITY.md")]
    files += [
        p for folder in folders for p in (ROOT / folder).rglob("*") if p.suffix in {".py", ".md"}
    ]
    cited = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in files
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if _ISSUE.search(line)
    ]
    assert cited == []
