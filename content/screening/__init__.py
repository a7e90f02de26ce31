"""Machine review of text (screening): sensitive terms however they are disguised, absolute health
and efficacy claims, known rumors (told apart from texts that debunk them) and science claims
without references, reported as findings whose offsets point into the source text.

- `fold`: normalisation and the maps from normalised positions back to source positions;
- `terms`: dictionary entries, the default list, and the separator rule (evasion or prose);
- `claims`: absolute-claim patterns and science markers;
- `rumors`: rumor entries, their meaning-bearing words, refuting cues; `library`: default rumors;
- `dictionary`: the terms and rumors kept by operators, and the screener built from them
  (cached per database and version); `imports`: bulk CSV imports and their dry runs;
  `second_opinion`: WeChat's content-security check beside ours; `revisions`: what of a
  revision is screened, for the machine stage and the dry runs alike;
- `findings`: what is reported; `hits`: the keys found in one field and the way back to the
  text; `screener`: all of it in a few passes over each field.
"""

from content.screening.claims import CLAIMS, SCIENCE_MARKERS
from content.screening.dictionary import (
    add_rumor,
    add_term,
    bump_version,
    current_screener,
    delete_rumor,
    delete_term,
    dictionary_version,
    list_rumors,
    list_terms,
    validate_rumor,
    validate_term,
)
from content.screening.findings import SEVERITY_RANK, Check, Finding, blocking
from content.screening.fold import normalize
from content.screening.imports import (
    RUMOR_COLUMNS,
    TERM_COLUMNS,
    ImportReport,
    Verdict,
    import_rumors,
    import_terms,
    read_rows,
)
from content.screening.library import DEFAULT_RUMORS
from content.screening.revisions import revision_fields, screen_revision
from content.screening.rumors import RumorSpec, meaning_words, required_groups
from content.screening.screener import Screener
from content.screening.second_opinion import UNAVAILABLE_MESSAGE, SecondOpinion
from content.screening.terms import DEFAULT_ALLOW, DEFAULT_TERMS, TermSpec

__all__ = [
    "CLAIMS",
    "DEFAULT_ALLOW",
    "DEFAULT_RUMORS",
    "DEFAULT_TERMS",
    "RUMOR_COLUMNS",
    "SCIENCE_MARKERS",
    "SEVERITY_RANK",
    "TERM_COLUMNS",
    "UNAVAILABLE_MESSAGE",
    "Check",
    "Finding",
    "ImportReport",
    "RumorSpec",
    "Screener",
    "SecondOpinion",
    "TermSpec",
    "Verdict",
    "add_rumor",
    "add_term",
    "blocking",
    "bump_version",
    "current_screener",
    "delete_rumor",
    "delete_term",
    "dictionary_version",
    "import_rumors",
    "import_terms",
    "list_rumors",
    "list_terms",
    "meaning_words",
    "normalize",
    "read_rows",
    "required_groups",
    "revision_fields",
    "screen_revision",
    "validate_rumor",
    "validate_term",
]
