"""The upload message catalogue is complete: every key the code uses exists in every language,
every language has the same keys, and no template needs a value the code does not pass."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

import gis.upload
from gis.upload import SCHEMAS
from gis.upload.messages import CATALOGUES, LANGUAGES, REFERENCE, Localized, code_of, message

PACKAGE = Path(gis.upload.__file__).parent
COLUMN_KINDS = sorted({c.kind for s in SCHEMAS.values() for c in s.columns} | {"str"})


def _fields(template: str) -> set[str]:
    """The values a template needs: ``{b[0]:.4f}`` needs ``b``."""
    names = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if field:
            names.add(field.split(".")[0].split("[")[0])
    return names


def _strings(node: ast.AST, function: ast.AST) -> list[str]:
    """The catalogue keys an argument can hold (constants, both sides of ``a if c else b``,
    a local ``key = …``, the per-column-kind f-string)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body, function) + _strings(node.orelse, function)
    if isinstance(node, ast.Name):
        found = []
        for n in ast.walk(function):
            if isinstance(n, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == node.id for t in n.targets
            ):
                found += _strings(n.value, function)
        return found
    if isinstance(node, ast.JoinedStr):
        text = ast.unparse(node)
        assert text == "f'bad_{col.kind}.column'", text
        return [f"bad_{kind}.column" for kind in COLUMN_KINDS]
    raise AssertionError(f"cannot follow the key {ast.unparse(node)}")


def _passed(call: ast.Call, function: ast.AST) -> set[str]:
    names = {k.arg for k in call.keywords if k.arg}
    for k in call.keywords:
        if k.arg is None:  # **values: a dict literal assigned in the same function
            for n in ast.walk(function):
                if isinstance(n, ast.Assign) and isinstance(n.value, ast.Dict):
                    names |= {key.value for key in n.value.keys if isinstance(key, ast.Constant)}
    return names


def _uses() -> list[tuple[str, str, set[str]]]:
    """(place, key, value names passed) for every message the package records."""
    uses = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for call in ast.walk(function):
                if not isinstance(call, ast.Call):
                    continue
                func = call.func
                if isinstance(func, ast.Name) and func.id == "add_problem":
                    key_arg = call.args[2]
                elif isinstance(func, ast.Attribute) and func.attr in ("note", "warn"):
                    key_arg = call.args[1]
                else:
                    continue
                place = f"{path.relative_to(PACKAGE)}:{call.lineno}"
                for key in _strings(key_arg, function):
                    uses.append((place, key, _passed(call, function)))
    return uses


USES = _uses()


def test_the_code_records_messages() -> None:
    assert len(USES) > 60


def test_every_language_has_the_reference_keys() -> None:
    reference = set(CATALOGUES[REFERENCE])
    for lang in LANGUAGES:
        assert set(CATALOGUES[lang]) == reference, lang


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_used_exists(lang: str) -> None:
    missing = sorted({f"{key} ({place})" for place, key, _ in USES if key not in CATALOGUES[lang]})
    assert not missing


def test_every_key_is_used() -> None:
    used = {key for _, key, _ in USES}
    assert sorted(set(CATALOGUES[REFERENCE]) - used) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_templates_need_only_values_the_code_passes(lang: str) -> None:
    wrong = [
        f"{place} {key}: {sorted(_fields(CATALOGUES[lang][key]) - passed)}"
        for place, key, passed in USES
        if key in CATALOGUES[lang] and not _fields(CATALOGUES[lang][key]) <= passed
    ]
    assert not wrong


def test_placeholders_match_across_languages() -> None:
    """A translation uses the reference's values, or a value the reference names another way
    (a column's Chinese label); it may leave out technical details (a library's error text)."""
    allowed_only_in_translation = {"column_zh", "geometry"}
    for key, template in CATALOGUES[REFERENCE].items():
        for lang in LANGUAGES:
            extra = _fields(CATALOGUES[lang][key]) - _fields(template)
            assert extra <= allowed_only_in_translation, (lang, key, extra)


def test_keys_name_problem_codes() -> None:
    for key in CATALOGUES[REFERENCE]:
        assert code_of(key).replace("_", "").isalpha(), key


def test_message_lookup() -> None:
    label = Localized(en="parks", zh="公园")
    assert message("empty_layer.vector", "en", label="p.gpkg", layer=label) == (
        "p.gpkg: the layer has no features; upload a file with parks in it"
    )
    assert message("empty_layer.vector", "zh", label="p.gpkg", layer=label) == (
        "p.gpkg：图层没有要素；请上传包含公园的文件"
    )
    with pytest.raises(KeyError):
        message("no_such_problem", "en")
