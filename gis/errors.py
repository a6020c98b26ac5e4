"""Errors raised by ``gis``; only ``api/`` and the CLI catch them.

Every error carries an HTTP-like ``status`` and a stable ``code`` so that the
API can render ``{"code", "message", "errors": [...]}`` and the CLI can print
one line and exit non-zero.  Messages name the file or layer, say what is
wrong, what was expected and how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

_PATH_RE = re.compile(r"""(?<![^\s'"(\[=,])(?:[A-Za-z]:)?[\\/](?:[^\s'"\\/]*[\\/])+([^\s'"\\/]*)""")


def without_paths(text: str) -> str:
    """``text`` (a library's error message) with every file path cut to its last part.

    GDAL names the full path of what it opened; an answer must name the member only, never the
    server's folders.

    >>> without_paths("'/srv/instance/uploads/x1/work/unpacked/a.shp' not recognized")
    "'a.shp' not recognized"
    >>> without_paths(r"C:\\tmp\\u\\b.tif: bad; /vsizip//tmp/u.zip/c.shp; 7 km/km2 at 1/2")
    'b.tif: bad; c.shp; 7 km/km2 at 1/2'
    """
    return _PATH_RE.sub(r"\1", text)


@dataclass(frozen=True)
class Problem:
    """One problem found in an input, in Chinese and English.

    Attributes
    ----------
    source : str
        The file, layer or column the problem is in.
    message_en, message_zh : str
        What is wrong and how to fix it.
    code : str
        Stable machine-readable code, e.g. ``"no_crs"``.
    """

    source: str
    message_en: str
    message_zh: str = ""
    code: str = "invalid"

    def as_dict(self) -> dict[str, str]:
        """Return the JSON shape used by the API."""
        return {
            "source": self.source,
            "code": self.code,
            "message": self.message_en,
            "message_zh": self.message_zh or self.message_en,
        }


class GisError(ValueError):
    """Base class: a clear, user-facing problem with the input."""

    status: int = 400
    code: str = "invalid_input"

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems: tuple[Problem, ...] = tuple(problems)


class ValidationError(GisError):
    """One or more problems found while validating an input."""

    code = "validation_failed"


class CrsError(GisError):
    """The CRS is missing, unknown or unsuitable (e.g. geographic for a measurement)."""

    code = "crs_error"


class EmptyInputError(GisError):
    """An input has no usable features."""

    code = "empty_input"


class InputFileError(GisError):
    """A file is missing, unreadable or of the wrong format."""

    code = "bad_file"


class NotFoundError(GisError):
    """A county, layer or record does not exist."""

    status = 404
    code = "not_found"


@dataclass
class ProblemCollector:
    """Collect every problem, then raise once (validators report all at once)."""

    problems: list[Problem] = field(default_factory=list)

    def add(
        self, source: str, message_en: str, message_zh: str = "", code: str = "invalid"
    ) -> None:
        """Record one problem."""
        self.problems.append(Problem(source, message_en, message_zh, code))

    def raise_if_any(self, summary: str) -> None:
        """Raise :class:`ValidationError` listing every problem, if there are any."""
        if self.problems:
            msg = f"{summary}: {len(self.problems)} problem(s): " + "; ".join(
                p.message_en for p in self.problems
            )
            raise ValidationError(msg, self.problems)
