"""Machine review of text: disguised sensitive terms, absolute health claims, known rumors (told
apart from debunks), science claims without references (docs/screening.md). The modules:

- reading: `fold`, `terms`, `claims`, `rumors`, `library` (the default rumors);
- matching: `hits`, `screener`, `findings`;
- around it: `dictionary` (operators' lists, the cached screener), `imports`, `revisions` (what
  of a revision is screened), `second_opinion` (WeChat's check).
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
