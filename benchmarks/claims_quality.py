"""Precision and recall of the claims that endanger health — advice to stop or replace prescribed
medicine, promises that a disease or a tumour goes away, high cure rates — on two labelled sets of
short Chinese texts, with hard negatives (advice against stopping medicine, debunks, neutral
medical text):

- tests/content/claims_labelled.csv, written and committed before the rules;
- tests/content/claims_heldout.csv, written after the rules, in phrasings they were not written
  to, and never used to tune them.

A text labelled `flag` 1 counts as found when a `health_claim` finding of severity warn or block
is in it; one labelled 0 is a false alarm when any warn or block finding is (an info hint is
what a debunk may get). The screener is the shipped one: default terms and rumors.

Run from the repository root: `python benchmarks/claims_quality.py [--misses]`.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

from content.models import Severity
from content.screening import DEFAULT_RUMORS, DEFAULT_TERMS, Check, RumorSpec, Screener

SETS = Path(__file__).resolve().parent.parent / "tests" / "content"
LABELLED = SETS / "claims_labelled.csv"
HELD_OUT = SETS / "claims_heldout.csv"


def judge(screener: Screener, path: Path) -> tuple[Counter[tuple[str, str]], list[str]]:
    """(family, tp|fn|fp|tn) counts over one set, and a line for each text judged wrongly."""
    outcome: Counter[tuple[str, str]] = Counter()
    wrong: list[str] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            findings = screener.scan({"body": row["text"]})
            flagged = [f for f in findings if f.severity in (Severity.warn, Severity.block)]
            if row["flag"] == "1":
                hit = any(f.check == Check.health_claim for f in flagged)
                result = "tp" if hit else "fn"
            else:
                result = "fp" if flagged else "tn"
            outcome[(row["family"], result)] += 1
            if result in ("fp", "fn"):
                said = ", ".join(f"{f.category or f.check}/{f.severity}「{f.excerpt}」"
                                 for f in findings) or "nothing"  # fmt: skip
                wrong.append(f"  {result} #{row['id']} [{row['family']}] {row['text']} → {said}")
    return outcome, wrong


def scores(outcome: Counter[tuple[str, str]]) -> tuple[float, float]:
    def total(result: str) -> int:
        return sum(n for (_, r), n in outcome.items() if r == result)

    tp, fp, fn = total("tp"), total("fp"), total("fn")
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--misses", action="store_true", help="list the texts judged wrongly")
    args = parser.parse_args()
    screener = Screener(DEFAULT_TERMS, [RumorSpec(c, k, t, s) for _, c, k, t, s in DEFAULT_RUMORS])
    for name, path in (("written before the rules", LABELLED), ("held out", HELD_OUT)):
        if not path.exists():
            print(f"{path.name}: missing")
            continue
        outcome, wrong = judge(screener, path)
        precision, recall = scores(outcome)
        print(f"{path.name} ({name}): {sum(outcome.values())} texts")
        for family in sorted({f for f, _ in outcome}):
            counts = {r: outcome[(family, r)] for r in ("tp", "fn", "fp", "tn")
                      if outcome[(family, r)]}  # fmt: skip
            print(f"  {family:17} " + ", ".join(f"{r} {n}" for r, n in counts.items()))
        print(f"  precision {precision:.3f}, recall {recall:.3f}")
        if args.misses and wrong:
            print("\n".join(wrong))
    return 0


if __name__ == "__main__":
    sys.exit(main())
