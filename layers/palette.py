"""Colour-vision checks for the map palette: colour-blindness simulation and CIEDE2000.

The map's colours come from the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal
Design") and ColorBrewer's colour-blind-safe sequential schemes (Brewer 2003).  Whether the
colours shown *together* stay apart is checked, not assumed: each colour is passed through the
Machado, Oliveira & Fernandes (2009) simulation of protanopia, deuteranopia and tritanopia
(severity 1.0, applied to linear RGB), converted to CIELAB (D65) and compared pairwise with the
CIEDE2000 colour difference (Sharma, Wu & Dalal 2005).

>>> round(delta_e2000(to_lab("#000000"), to_lab("#ffffff")), 1)
100.0
>>> simulate("#ffffff", "deuteranopia")
'#ffffff'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from itertools import combinations

Matrix = tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]
Lab = tuple[float, float, float]

OKABE_ITO = {
    "black": "#000000",
    "orange": "#e69f00",
    "sky_blue": "#56b4e9",
    "bluish_green": "#009e73",
    "yellow": "#f0e442",
    "blue": "#0072b2",
    "vermillion": "#d55e00",
    "reddish_purple": "#cc79a7",
}
"""The eight colours of Okabe & Ito's Color Universal Design palette."""

MACHADO_2009: dict[str, Matrix] = {
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}
"""Machado et al. (2009) simulation matrices at severity 1.0 (linear RGB in, linear RGB out)."""

VISIONS = ("normal", *MACHADO_2009)


def _rgb(hex_color: str) -> tuple[float, float, float]:
    text = hex_color.lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    if len(text) != 6:
        msg = f"{hex_color!r} is not a #rrggbb colour"
        raise ValueError(msg)
    r, g, b = (int(text[i : i + 2], 16) / 255.0 for i in (0, 2, 4))
    return r, g, b


def _to_linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _to_srgb(c: float) -> float:
    c = min(1.0, max(0.0, c))
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def _hex(rgb: Iterable[float]) -> str:
    return "#" + "".join(f"{round(min(1.0, max(0.0, c)) * 255):02x}" for c in rgb)


def simulate(hex_color: str, vision: str) -> str:
    """The colour as seen with ``vision`` (``normal`` or a key of :data:`MACHADO_2009`).

    >>> simulate("#d55e00", "normal")
    '#d55e00'
    >>> simulate("#ff0000", "protanopia") != "#ff0000"
    True
    """
    if vision == "normal":
        return _hex(_rgb(hex_color))
    matrix = MACHADO_2009[vision]
    lin = [_to_linear(c) for c in _rgb(hex_color)]
    out = [sum(row[i] * lin[i] for i in range(3)) for row in matrix]
    return _hex(_to_srgb(c) for c in out)


def to_lab(hex_color: str) -> Lab:
    """CIELAB (D65 white) of an sRGB colour."""
    r, g, b = (_to_linear(c) for c in _rgb(hex_color))
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def delta_e2000(lab1: Lab, lab2: Lab) -> float:
    """The CIEDE2000 colour difference of two CIELAB colours (kL = kC = kH = 1).

    The first pair of Sharma, Wu & Dalal's test data (2005) has ΔE00 = 2.0425:

    >>> round(delta_e2000((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485)), 4)
    2.0425
    """
    l1, a1, b1 = lab1
    l2, a2, b2 = lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dlp, dcp = l2 - l1, c2p - c1p
    dh = h2p - h1p
    if c1p * c2p == 0:
        dh = 0.0
    elif dh > 180:
        dh -= 360
    elif dh < -180:
        dh += 360
    dhp = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh) / 2)
    lbp, cbp = (l1 + l2) / 2, (c1p + c2p) / 2
    hbp = h1p + h2p
    if c1p * c2p != 0:
        if abs(h1p - h2p) > 180:
            hbp += 360 if hbp < 360 else -360
        hbp /= 2
    t = (
        1
        - 0.17 * math.cos(math.radians(hbp - 30))
        + 0.24 * math.cos(math.radians(2 * hbp))
        + 0.32 * math.cos(math.radians(3 * hbp + 6))
        - 0.20 * math.cos(math.radians(4 * hbp - 63))
    )
    d_theta = 30 * math.exp(-(((hbp - 275) / 25) ** 2))
    rc = 2 * math.sqrt(cbp**7 / (cbp**7 + 25.0**7))
    sl = 1 + 0.015 * (lbp - 50) ** 2 / math.sqrt(20 + (lbp - 50) ** 2)
    sc = 1 + 0.045 * cbp
    sh = 1 + 0.015 * cbp * t
    rt = -math.sin(math.radians(2 * d_theta)) * rc
    return math.sqrt(
        (dlp / sl) ** 2 + (dcp / sc) ** 2 + (dhp / sh) ** 2 + rt * (dcp / sc) * (dhp / sh)
    )


def closest_pair(colors: Sequence[str]) -> tuple[float, str, str, str]:
    """The smallest CIEDE2000 difference between distinct colours under every vision.

    Returns ``(delta_e, color_a, color_b, vision)``; ``(inf, "", "", "")`` for fewer than two
    distinct colours.

    >>> d, a, b, vision = closest_pair(["#d55e00", "#009e73"])
    >>> vision in VISIONS and d > 10
    True
    """
    distinct = sorted({_hex(_rgb(c)) for c in colors})
    best: tuple[float, str, str, str] = (math.inf, "", "", "")
    for vision in VISIONS:
        labs = {c: to_lab(simulate(c, vision)) for c in distinct}
        for a, b in combinations(distinct, 2):
            d = delta_e2000(labs[a], labs[b])
            if d < best[0]:
                best = (d, a, b, vision)
    return best
