"""The default rumor library, read from `default_rumors.csv` (the import's rumor columns plus
`topic`) and seeded into a new installation."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Final

__all__ = ["DEFAULT_RUMORS"]

_FILE: Final = Path(__file__).with_name("default_rumors.csv")

Entry = tuple[str, str, tuple[str, ...], str, str]  # topic, claim, keywords, truth, source


def _load() -> tuple[Entry, ...]:
    with _FILE.open(encoding="utf-8", newline="") as handle:
        return tuple(
            (row["topic"], row["claim"], tuple(row["keywords"].split(";")), row["truth"],
             row["source"])
            for row in csv.DictReader(handle)
        )  # fmt: skip


DEFAULT_RUMORS: Final[tuple[Entry, ...]] = _load()
