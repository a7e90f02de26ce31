"""A regression guard on the claims that endanger health: the labelled set written before the
rules (claims_labelled.csv) keeps the precision and recall the rules reached, and the held-out set
written after them (claims_heldout.csv) keeps what it was measured at.
`benchmarks/claims_quality.py` prints the details."""

import csv
from pathlib import Path

from content.models import Severity
from content.screening import DEFAULT_RUMORS, DEFAULT_TERMS, Check, RumorSpec, Screener

HERE = Path(__file__).parent


def _scores(name: str) -> tuple[float, float, int]:
    screener = Screener(DEFAULT_TERMS, [RumorSpec(c, k, t, s) for _, c, k, t, s in DEFAULT_RUMORS])
    tp = fp = fn = rows = 0
    with (HERE / name).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            rows += 1
            findings = screener.scan({"body": row["text"]})
            flagged = [f for f in findings if f.severity in (Severity.warn, Severity.block)]
            if row["flag"] == "1":
                hit = any(f.check == Check.health_claim for f in flagged)
                tp, fn = tp + hit, fn + (not hit)
            else:
                fp += bool(flagged)
    return tp / (tp + fp), tp / (tp + fn), rows


def test_the_set_written_before_the_rules_keeps_precision_and_recall_of_at_least_0_95() -> None:
    precision, recall, rows = _scores("claims_labelled.csv")
    assert rows >= 60
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)


def test_the_held_out_set_keeps_what_it_was_first_measured_at() -> None:
    # First run, after the rules were written: precision 0.588, recall 0.370. Phrasings nobody
    # wrote rules for are what the machine stage misses; this only keeps it from getting worse.
    precision, recall, rows = _scores("claims_heldout.csv")
    assert rows >= 30
    assert precision >= 0.55 and recall >= 0.35, (precision, recall)
