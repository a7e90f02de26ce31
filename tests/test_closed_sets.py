"""Closed sets are spelled with their enum members, never as strings: a raw value in api/,
content/ or workers/ fails here, named by file and line.

A value is caught where it acts as a member: compared, tested with `in`, given to a field
(`status=`, `{"severity": …}`, `upload.method = …`), to `in_()` or to a role check. The values
that mean nothing else in Kepu are caught wherever they are written."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

import pytest

from content.models import (
    CommentStatus,
    ContentStatus,
    ContentType,
    Role,
    Severity,
    Stage,
    UploadMethod,
    UploadStatus,
)
from content.screening import Check, Verdict

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "content", "workers")
ENUMS: tuple[type[StrEnum], ...] = (
    Check,
    CommentStatus,
    ContentStatus,
    ContentType,
    Role,
    Severity,
    Stage,
    UploadMethod,
    UploadStatus,
    Verdict,
)
# Words of other vocabularies too, where a string is right (an HTTP method, the fields a finding
# points at, media kinds, the "pass" of a workflow action): caught only where a field is named.
ELSEWHERE = frozenset({"PUT", "references", "media", "video", "image", "pass"})
# Values that mean nothing else here: wrong wherever they are written (a positional argument,
# a `Literal[...]`, a conditional expression), not only in the places below.
ONLY_MEMBERS = frozenset(
    {"block", "warn", "info", "health_claim", "multipart", "political_reviewer",
     "science_reviewer", "taken_down", "in_review", "changes_requested"}
)  # fmt: skip
# Names of keyword arguments, dict keys and attributes that hold a member of one of the sets.
FIELDS = frozenset(
    {"check", "severity", "status", "stage", "from_status", "to_status", "method", "type",
     "role", "roles", "before", "after"}
)  # fmt: skip
SET_CALLS = frozenset({"has_role", "require_role", "in_", "not_in"})

MEMBERS: dict[str, list[str]] = {}
for _enum in ENUMS:
    for _member in _enum:
        MEMBERS.setdefault(_member.value, []).append(f"{_enum.__name__}.{_member.name}")


def _strings(node: ast.AST | None) -> Iterator[ast.Constant]:
    """The string constants `node` is, or holds in a tuple, list, set or conditional."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        for element in node.elts:
            yield from _strings(element)
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _in_place_of_a_member(tree: ast.AST) -> Iterator[tuple[ast.Constant, bool]]:
    """String constants where a member belongs, each with whether a field names the set."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = (node.left, *node.comparators)
            named = any(_name(operand) in FIELDS for operand in operands)
            for operand in operands:
                yield from ((s, named) for s in _strings(operand))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in FIELDS:
                    yield from ((s, True) for s in _strings(value))
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg in FIELDS:
                    yield from ((s, True) for s in _strings(keyword.value))
            if _name(node.func) in SET_CALLS:
                for arg in node.args:
                    yield from ((s, False) for s in _strings(arg))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_name(t) in FIELDS for t in targets):
                yield from ((s, True) for s in _strings(node.value))


def _exempt(tree: ast.AST) -> set[int]:
    """Docstrings, and the members' own values in the class bodies of enums."""
    exempt: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list) or not body:
            continue
        first = body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            exempt.add(id(first.value))
        if isinstance(node, ast.ClassDef) and any(
            (_name(base) or "").endswith("Enum") for base in node.bases
        ):
            exempt |= {id(s.value) for s in body if isinstance(s, ast.Assign)}
    return exempt


def raw_members(source: str, filename: str) -> list[str]:
    """Where `source` writes a member as a string: "file:line: 'value' (use Enum.member)"."""
    tree = ast.parse(source, filename)
    exempt = _exempt(tree)
    anywhere = (
        (node, True)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in ONLY_MEMBERS
    )
    found = {
        (node.lineno, node.value)
        for node, named in (*_in_place_of_a_member(tree), *anywhere)
        if node.value in MEMBERS
        and (named or node.value not in ELSEWHERE)
        and id(node) not in exempt
    }
    return [
        f"{filename}:{line}: {value!r} (use {' or '.join(MEMBERS[value])})"
        for line, value in sorted(found)
    ]


def test_closed_sets_are_spelled_with_their_members() -> None:
    found = [
        hit
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for hit in raw_members(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not found, "closed-set values written as strings:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        'if finding.severity == "block": pass',
        'blocked = upload.method in ("multipart",)',
        'finding = {"check": "rumor", "severity": Severity.warn}',
        'require_role(user, "political_reviewer")',
        'session.exec(update(Upload).values(status="aborted"))',
        'select(Upload).where(col(Upload.status).in_(("completed",)))',
        'upload.status = "pending"',
        'if status not in {ContentStatus.published, "taken_down"}: pass',
        'Finding(Check.wechat, "warn" if risky else Severity.info, name, 0, 0, "", message)',
        'TermSpec("法轮功", "political", "block")',
        'method: Literal["PUT", "multipart"]',
        'headers = {"Content-Type": ctype} if up.method == "PUT" else {}',
        'revision.findings = [{"check": "media", "severity": Severity.block}]',
    ],
)
def test_a_member_written_as_a_string_is_found(source: str) -> None:
    assert raw_members(source, "example.py")


@pytest.mark.parametrize(
    "source",
    [
        'storage.verify("PUT", key, query)',  # an HTTP method, not an upload method
        'if name != "references": pass',  # a field a finding points at
        'TermSpec("法轮功", "political", Severity.block)',  # a term's category
        'router = APIRouter(prefix="/admin", tags=["admin"])',
        'class Severity(StrEnum):\n    """block, warn or info"""\n    block = "block"',
        'log.info("the severity is %s", Severity.info)',
    ],
)
def test_other_vocabularies_and_the_enums_themselves_pass(source: str) -> None:
    assert raw_members(source, "example.py") == []
