"""The map palette stays readable for colour-blind planners (layers/palette.py).

Every pair of colours shown together (the legend entries of the layers an indicator's view
draws, and the classes of any one layer) differs by at least ``MIN_DELTA_E00`` CIEDE2000 under
normal vision and simulated protanopia, deuteranopia and tritanopia (Machado et al. 2009).
"""

from __future__ import annotations

from itertools import combinations

import pytest

from gis.indicators import INDICATOR_IDS
from layers.catalog import LayerInfo
from layers.desk import CONTEXT_LAYERS, DEFAULT_INPUTS, INDICATOR_INPUTS, layer_legend
from layers.palette import (
    MACHADO_2009,
    OKABE_ITO,
    VISIONS,
    closest_pair,
    delta_e2000,
    simulate,
    to_lab,
)
from layers.style import _STYLES, gap_style, result_style, style_for

MIN_DELTA_E00 = 10.0
"""Smallest CIEDE2000 difference between two colours shown together, under every vision."""
COUNTED_AREA = frozenset({"park_green_per_capita", "green_space_ratio"})
"""Indicators whose layer is what they counted (``parks_in_built_up``, ``green_in_built_up``);
the others draw a gap layer (layers.catalog.build_catalog)."""


def _info(name: str, kind: str = "stored", style=None) -> LayerInfo:  # type: ignore[no-untyped-def]
    style = style or style_for(name)
    return LayerInfo(name, kind, style.title_zh, style.title_en, 1, (), "osm", False, style)


def _view_infos(indicator_id: str) -> list[LayerInfo]:
    """The view's layers with every input present and the indicator's own layer."""
    names = [*CONTEXT_LAYERS, *INDICATOR_INPUTS.get(indicator_id, DEFAULT_INPUTS)]
    own = (
        _info(f"{indicator_id}_counted", "result", result_style("计算范围", "counted"))
        if indicator_id in COUNTED_AREA
        else _info(f"gap_{indicator_id}", "gap", gap_style("缺口", "gap"))
    )
    return [*(_info(n, "population" if n == "population" else "stored") for n in names), own]


def _colours(infos: list[LayerInfo]) -> list[tuple[str, str]]:
    """(layer: label, colour) of every legend swatch (pins are told apart by their shape)."""
    out = []
    for info in infos:
        legend = layer_legend(info, population_estimate=False)
        out += [
            (f"{info.name}: {e['label_en']}", e["color"])
            for e in legend["entries"]
            if e["shape"] != "marker"
        ]
    return out


def _worst(colours: list[tuple[str, str]]) -> tuple[float, str]:
    worst = (float("inf"), "")
    for vision in VISIONS:
        for (la, a), (lb, b) in combinations(colours, 2):
            d = delta_e2000(to_lab(simulate(a, vision)), to_lab(simulate(b, vision)))
            if d < worst[0]:
                worst = (d, f"{la} {a} vs {lb} {b} ({vision})")
    return worst


@pytest.mark.parametrize("indicator_id", INDICATOR_IDS)
def test_colours_of_an_indicator_view_stay_apart(indicator_id: str) -> None:
    colours = _colours(_view_infos(indicator_id))
    assert len(colours) >= 3
    worst, pair = _worst(colours)
    assert worst >= MIN_DELTA_E00, pair


@pytest.mark.parametrize("name", sorted(_STYLES))
def test_classes_of_one_layer_stay_apart(name: str) -> None:
    colours = [(e.label_en, e.color) for e in style_for(name).legend]
    worst, pair = _worst(colours)
    assert worst >= MIN_DELTA_E00, pair


def test_the_check_fails_on_a_palette_that_is_not_safe() -> None:
    """Red and green of equal lightness: apart for normal vision, merged for deuteranopes."""
    red, green = "#d0312d", "#3d8c40"
    normal = delta_e2000(to_lab(red), to_lab(green))
    seen = [to_lab(simulate(c, "deuteranopia")) for c in (red, green)]
    deuter = delta_e2000(*seen)
    assert normal > 30 and deuter < MIN_DELTA_E00
    assert closest_pair([red, green])[3] in MACHADO_2009


def test_simulation_keeps_greys_and_moves_reds() -> None:
    for vision in MACHADO_2009:
        assert simulate("#808080", vision) in ("#808080", "#7f7f7f", "#818181")
    assert to_lab("#ff0000")[1] > 70  # a* of pure red
    protan = to_lab(simulate("#ff0000", "protanopia"))
    assert protan[1] < 20  # a protanope sees no red-green contrast left in it


def test_okabe_ito_colours_are_pairwise_apart_for_normal_vision() -> None:
    colours = list(OKABE_ITO.values())
    assert min(delta_e2000(to_lab(a), to_lab(b)) for a, b in combinations(colours, 2)) > 10
