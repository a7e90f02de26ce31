"""Precision and recall of screening on the labelled set (tests/content/screening_set.jsonl):
231 short texts — evasions, absolute claims, rumors being spread, debunking texts and clean
near-misses — each labelled with whether it must be flagged (a `warn` or `block` finding) and,
if so, by which check. The set was written and committed before the rules were tuned.

Run from the repository root: `python benchmarks/screening_quality.py [--misses]`. Prints the
numbers overall and per kind, PASS if precision and recall are both at least 0.95, and exits 1
on FAIL. `--misses` lists every text judged wrongly.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from content.screening import DEFAULT_RUMORS, DEFAULT_TERMS, RumorSpec, Screener

TARGET = 0.95
LABELLED = Path(__file__).resolve().parent.parent / "tests" / "content" / "screening_set.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--misses", action="store_true", help="list the texts judged wrongly")
    args = parser.parse_args()

    screener = Screener(DEFAULT_TERMS, [RumorSpec(c, k, t, s) for _, c, k, t, s in DEFAULT_RUMORS])
    records = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    outcome: Counter[tuple[str, str]] = Counter()  # (kind, tp|fp|fn|tn)
    wrong: list[str] = []
    for record in records:
        findings = screener.scan({record["field"]: record["text"]})
        flagged = [f for f in findings if f.severity in ("warn", "block")]
        if record["flag"]:
            hit = any(f.check == record["check"] for f in flagged)
            result = "tp" if hit else "fn"
        else:
            result = "fp" if flagged else "tn"
        outcome[(record["kind"], result)] += 1
        if result in ("fp", "fn"):
            said = (
                ", ".join(f"{f.check}/{f.severity}「{f.excerpt}」" for f in findings) or "nothing"
            )
            wrong.append(f"  {result} #{record['id']} [{record['kind']}] {record['text']} → {said}")

    def total(result: str) -> int:
        return sum(n for (_, r), n in outcome.items() if r == result)

    tp, fp, fn, tn = total("tp"), total("fp"), total("fn"), total("tn")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"labelled set: {len(records)} texts ({tp + fn} to flag, {fp + tn} to pass)")
    for kind in sorted({k for k, _ in outcome}):
        counts = {r: outcome[(kind, r)] for r in ("tp", "fn", "fp", "tn") if outcome[(kind, r)]}
        print(f"  {kind:8} " + ", ".join(f"{r} {n}" for r, n in counts.items()))
    print(f"precision {precision:.3f}, recall {recall:.3f} (tp {tp}, fp {fp}, fn {fn}, tn {tn})")
    if args.misses and wrong:
        print("judged wrongly:")
        print("\n".join(wrong))
    passed = precision >= TARGET and recall >= TARGET
    print(f"{'PASS' if passed else 'FAIL'}: target {TARGET} for both")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
