"""Machine review of text (screening): sensitive terms however they are disguised, absolute health
and efficacy claims, known rumors (told apart from texts that debunk them) and science claims
without references, reported as findings whose offsets point into the source text.

- `fold`: normalisation and the maps from normalised positions back to source positions;
- `terms`: dictionary entries, the default list, and the separator rule (evasion or prose);
- `claims`: absolute-claim patterns and science markers;
- `rumors`: rumor entries, their meaning-bearing words, refuting cues; `library`: default rumors;
- `findings`: what is reported; `hits`: the keys found in one field and the way back to the
  text; `screener`: all of it in a few passes over each field.
"""

from content.screening.claims import CLAIMS, SCIENCE_MARKERS
from content.screening.findings import SEVERITIES, SEVERITY_RANK, Check, Finding, blocking
from content.screening.fold import normalize
from content.screening.library import DEFAULT_RUMORS
from content.screening.rumors import RumorSpec, meaning_words, required_groups
from content.screening.screener import Screener
from content.screening.terms import DEFAULT_ALLOW, DEFAULT_TERMS, TermSpec

__all__ = [
    "CLAIMS",
    "DEFAULT_ALLOW",
    "DEFAULT_RUMORS",
    "DEFAULT_TERMS",
    "SCIENCE_MARKERS",
    "SEVERITIES",
    "SEVERITY_RANK",
    "Check",
    "Finding",
    "RumorSpec",
    "Screener",
    "TermSpec",
    "blocking",
    "meaning_words",
    "normalize",
    "required_groups",
]
