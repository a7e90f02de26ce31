"""Machine review of text: disguised sensitive terms, absolute health claims and claims that
endanger health, known rumors (told apart from debunks), science claims without references
(docs/screening.md). The modules:

- reading: `fold`, `terms`, `claims`, `context` (a claim in its sentence), `patterns`
  (operators' claim patterns), `rumors`, `library` (the default rumors);
- matching: `hits`, `screener`, `findings`;
- around it: `dictionary` (operators' lists, the cached screener), `imports`, `revisions` (what
  of a revision is screened), `second_opinion` (WeChat's check).
"""

from content.screening.claims import CLAIMS, HEALTH_CLAIMS, SCIENCE_MARKERS
from content.screening.dictionary import (
    ListSizes,
    add_claim_pattern,
    add_rumor,
    add_term,
    bump_version,
    current_screener,
    delete_claim_pattern,
    delete_rumor,
    delete_term,
    dictionary_version,
    list_claim_patterns,
    list_rumors,
    list_sizes,
    list_terms,
    validate_claim_pattern,
    validate_rumor,
    validate_term,
)
from content.screening.findings import SEVERITY_RANK, Check, Finding, blocking
from content.screening.fold import normalize
from content.screening.imports import (
    CLAIM_COLUMNS,
    IMPORT_COLUMNS,
    RUMOR_COLUMNS,
    TERM_COLUMNS,
    ImportKind,
    ImportReport,
    Verdict,
    import_claim_patterns,
    import_file,
    import_rumors,
    import_terms,
    read_file,
    read_rows,
)
from content.screening.library import DEFAULT_RUMORS
from content.screening.patterns import ClaimSpec
from content.screening.revisions import revision_fields, screen_revision
from content.screening.rumors import RumorSpec, meaning_words, required_groups
from content.screening.screener import Screener
from content.screening.second_opinion import UNAVAILABLE_MESSAGE, SecondOpinion
from content.screening.terms import DEFAULT_ALLOW, DEFAULT_TERMS, TermSpec

__all__ = [
    "CLAIMS",
    "CLAIM_COLUMNS",
    "DEFAULT_ALLOW",
    "DEFAULT_RUMORS",
    "DEFAULT_TERMS",
    "HEALTH_CLAIMS",
    "IMPORT_COLUMNS",
    "RUMOR_COLUMNS",
    "SCIENCE_MARKERS",
    "SEVERITY_RANK",
    "TERM_COLUMNS",
    "UNAVAILABLE_MESSAGE",
    "Check",
    "ClaimSpec",
    "Finding",
    "ImportKind",
    "ImportReport",
    "ListSizes",
    "RumorSpec",
    "Screener",
    "SecondOpinion",
    "TermSpec",
    "Verdict",
    "add_claim_pattern",
    "add_rumor",
    "add_term",
    "blocking",
    "bump_version",
    "current_screener",
    "delete_claim_pattern",
    "delete_rumor",
    "delete_term",
    "dictionary_version",
    "import_claim_patterns",
    "import_file",
    "import_rumors",
    "import_terms",
    "list_claim_patterns",
    "list_rumors",
    "list_sizes",
    "list_terms",
    "meaning_words",
    "normalize",
    "read_file",
    "read_rows",
    "required_groups",
    "revision_fields",
    "screen_revision",
    "validate_claim_pattern",
    "validate_rumor",
    "validate_term",
]
