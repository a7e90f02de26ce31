"""The default rumor library: well-known Chinese science rumors, what is established instead, and
who established it, in `default_rumors.csv` (written in our own words). Seeded into a new
installation so screening knows the common rumors on its first run; operators keep the library
from then on. The file has the columns `kepu screening import --rumors` reads, plus `topic`
(food, health, radiation, vaccine, emergency).
"""

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
