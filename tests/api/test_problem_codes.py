"""One registry of problem codes (api/problem_codes.py): every code the source can answer is in it
with the status its exception class maps to, and docs/api.md's table is the registry's."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path

import content
from api import problem_codes, problems
from content.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("content", "api", "infra", "workers")


def _domain_classes() -> dict[str, type[DomainError]]:
    for module in pkgutil.walk_packages(content.__path__, "content."):
        importlib.import_module(module.name)  # subclasses declared anywhere in content/
    found: dict[str, type[DomainError]] = {}
    todo: list[type[DomainError]] = [DomainError]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo += cls.__subclasses__()
    return found


CLASSES = _domain_classes()


def _name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _code_param(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, str | None] | None:
    """(position, default) of a helper's ``code`` parameter, or None."""
    args = fn.args.args + fn.args.kwonlyargs
    for position, arg in enumerate(args):
        if arg.arg != "code":
            continue
        defaults = dict(zip(fn.args.args[::-1], fn.args.defaults[::-1], strict=False))
        defaults |= {a: d for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True)}
        default = defaults.get(arg)
        literal = default.value if isinstance(default, ast.Constant) else None
        return (position if position < len(fn.args.args) else -1), literal
    return None


@dataclass
class Scan:
    """What the source answers: code → the statuses it is raised with, where."""

    raised: dict[str, set[tuple[int, str]]] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)  # code= that is not a literal

    def add(self, code: str, status: int, where: str) -> None:
        self.raised.setdefault(code, set()).add((status, where))


def _scan() -> Scan:
    trees = {
        path: ast.parse(path.read_text(encoding="utf-8"))
        for root in SCANNED
        for path in sorted((ROOT / root).rglob("*.py"))
    }
    # Helpers that build a domain error from a `code` parameter (as_utc, _refused…).
    helpers: dict[str, tuple[int, type[DomainError]]] = {}
    scan = Scan()
    for path, tree in trees.items():
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            param = _code_param(fn)
            if param is None:
                continue
            for call in ast.walk(fn):
                if isinstance(call, ast.Call) and _name(call) in CLASSES:
                    passed = [k.value for k in call.keywords if k.arg == "code"]
                    if passed and isinstance(passed[0], ast.Name) and passed[0].id == "code":
                        helpers[fn.name] = (param[0], CLASSES[_name(call)])
                        if param[1]:
                            scan.add(param[1], problems.status_of(CLASSES[_name(call)]), str(path))
    for path, tree in trees.items():
        where = str(path.relative_to(ROOT))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name) and isinstance(node.value.value, str)
        }
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            name = _name(call)
            given = next((k.value for k in call.keywords if k.arg == "code"), None)
            if name == "problem" and len(call.args) >= 2:  # problems.problem(status, code, …)
                status, code = call.args[0], call.args[1]
                if isinstance(status, ast.Constant) and isinstance(code, ast.Constant):
                    scan.add(code.value, status.value, f"{where}:{call.lineno}")
                continue
            if name in CLASSES:
                status = problems.status_of(CLASSES[name])
            elif name in helpers:
                position, cls = helpers[name]
                status = problems.status_of(cls)
                if given is None and 0 <= position < len(call.args):
                    given = call.args[position]
            else:
                continue
            if given is None:
                continue
            if isinstance(given, ast.Name) and given.id in constants:
                given = ast.Constant(constants[given.id])
            if isinstance(given, ast.Constant) and isinstance(given.value, str):
                scan.add(given.value, status, f"{where}:{call.lineno}")
            elif not (isinstance(given, ast.Name) and given.id == "code"):
                scan.unreadable.append(f"{where}:{call.lineno}")
    return scan


SCAN = _scan()


def _answered() -> dict[str, set[tuple[int, str]]]:
    """Every code the app can answer with, and the statuses it is answered with."""
    answered = {code: set(found) for code, found in SCAN.raised.items()}
    for cls in CLASSES.values():
        answered.setdefault(cls.code, set()).add((problems.status_of(cls), f"class {cls.__name__}"))
    for kind, (status, code, _detail) in problems.STORAGE.items():
        answered.setdefault(code, set()).add((status, f"STORAGE[{kind.__name__}]"))
    for status, code in problems.GENERIC_CODES.items():
        answered.setdefault(code, set()).add((status, "GENERIC_CODES"))
    return answered


def test_the_scan_finds_codes_however_they_are_passed() -> None:
    # A literal keyword, a module constant, a helper's positional or default code, problem().
    for code in (
        "content.not_found",
        "feed.bad_cursor",
        "auth.address_locked",
        "term.control_character",
        "invalid_date",
        "invalid_text",
        "dependency.down",
        "request.too_large",
    ):
        assert code in SCAN.raised, code
    assert "not_video" not in SCAN.raised  # a media failure's reason, not a problem
    assert not SCAN.unreadable, f"give code= as a literal or a module constant: {SCAN.unreadable}"


def test_every_code_the_app_answers_is_registered_with_its_status() -> None:
    missing, wrong = [], []
    for code, found in sorted(_answered().items()):
        known = problem_codes.CODES.get(code)
        if known is None:
            missing.append(f"{code} ({sorted(found)})")
            continue
        wrong += [f"{code}: {s} at {where}" for s, where in found if s != known.status]
    assert not missing, f"add these to api/problem_codes.py: {missing}"
    assert not wrong, f"the registry's status differs from the exception's: {wrong}"


def test_the_registry_holds_only_codes_the_app_answers() -> None:
    stale = set(problem_codes.CODES) - set(_answered())
    assert not stale, f"nothing answers these any more; remove them: {sorted(stale)}"
    for status, codes in problem_codes.IMPLIED.items():
        assert all(problem_codes.CODES[c].status == status for c in codes), status


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_every_code_has_a_chinese_and_an_english_meaning() -> None:
    for entry in problem_codes.CODES.values():
        assert _chinese(entry.zh) and entry.en and not _chinese(entry.en), entry.code
        assert entry.status in problem_codes.TITLES, entry.code


def test_docs_list_every_code_as_the_registry_does() -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert problem_codes.table() in text, (
        "docs/api.md's table of problem codes differs from api/problem_codes.py: "
        "replace it with the output of `python -m api.problem_codes`"
    )
