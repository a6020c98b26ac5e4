"""The message catalogue: every text an upload problem or warning shows, by key and language.

A key is a problem code (``"too_many_features"``) or a code and a variant after a dot
(``"no_crs.raster"``); the problem's ``code`` is the part before the first dot.  Each language
is one module in this folder (:mod:`gis.upload.messages.en`, :mod:`gis.upload.messages.zh`)
holding ``MESSAGES``, a dict key → template with named placeholders in :meth:`str.format`
syntax (``{label}``, ``{count:,}``, ``{name!r}``, ``{b[0]:.4f}``).  A translation may leave
out a value (the Chinese texts leave out library error details) but may use only values the
code passes; ``tests/upload/test_messages.py`` checks both and that every key used in the code
exists in every language.

>>> message("bad_json", "en", label="a.geojson", detail="line 1")
'a.geojson: not valid JSON (line 1); export the GeoJSON again'
>>> message("too_many_features", "zh", label="a.zip", count=5, limit=4)
'a.zip：要素 5 个，超过上限 4；请拆分图层'
>>> code_of("no_crs.raster")
'no_crs'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from gis.upload.messages import en, zh

_MODULES = {"en": en, "zh": zh}  # a new language: one module here, one entry in this dict
#: The languages of the catalogue; an answer carries ``message`` (en) and ``message_zh``.
LANGUAGES = tuple(_MODULES)
CATALOGUES: Mapping[str, Mapping[str, str]] = {lang: m.MESSAGES for lang, m in _MODULES.items()}
REFERENCE = "en"


class Localized:
    """A value that itself differs by language, e.g. a layer kind's label (公园 / parks).

    >>> message("empty_layer.vector", "zh", label="a.gpkg", layer=Localized(en="parks", zh="公园"))
    'a.gpkg：图层没有要素；请上传包含公园的文件'
    """

    def __init__(self, **texts: str) -> None:
        self.texts = texts

    def in_language(self, lang: str) -> str:
        """The text in ``lang``, else in the reference language."""
        return self.texts.get(lang, self.texts[REFERENCE])


class _Collector(Protocol):
    def add(self, source: str, message_en: str, message_zh: str = "", code: str = "") -> None: ...


def code_of(key: str) -> str:
    """The problem code of a catalogue key: the part before the first dot."""
    return key.split(".", 1)[0]


def message(key: str, lang: str, /, **values: Any) -> str:
    """The text of ``key`` in ``lang`` with ``values`` filled in.

    Raises ``KeyError`` for an unknown key or language, or a placeholder without a value.
    """
    template = CATALOGUES[lang][key]
    filled = {
        name: value.in_language(lang) if isinstance(value, Localized) else value
        for name, value in values.items()
    }
    return template.format(**filled)


def texts(key: str, /, **values: Any) -> tuple[str, str]:
    """``(English, Chinese)`` texts of ``key``: the two message fields of an answer."""
    return message(key, "en", **values), message(key, "zh", **values)


def add_problem(problems: _Collector, source: str, key: str, /, **values: Any) -> None:
    """Record the problem ``key`` (code and texts from the catalogue) in ``problems``."""
    problems.add(source, *texts(key, **values), code_of(key))


def notice(source: str, key: str, /, **values: Any) -> dict[str, str]:
    """A warning in its JSON shape: ``source``, ``code``, ``message``, ``message_zh``."""
    message_en, message_zh = texts(key, **values)
    return {"source": source, "code": code_of(key), "message": message_en, "message_zh": message_zh}


def term(key: str) -> Localized:
    """A word of every language's ``TERMS`` (geometry kinds, separators) as one value."""
    return Localized(**{lang: module.TERMS[key] for lang, module in _MODULES.items()})


def joined(parts: list[Localized], separator: str = "list.separator") -> Localized:
    """``parts`` joined in each language with that language's ``separator`` term."""
    return Localized(
        **{
            lang: module.TERMS[separator].join(part.in_language(lang) for part in parts)
            for lang, module in _MODULES.items()
        }
    )


def listing(items: list[str]) -> Localized:
    """Names joined with each language's list separator ("a, b" / "a、b")."""
    return joined([Localized(**{lang: item for lang in LANGUAGES}) for item in items])
