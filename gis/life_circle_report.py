"""One county's 15-minute life circle (15分钟生活圈 / 城市体检) report: what the CLI and API print.

``{"county": {...}, "set": "life_circle", "parameters": {...}, "indicators": [...],
"age_structure": {...} | null, "notes": [...]}``; separate from the 百城 report and grade
(:mod:`gis.report`).  The county's age structure comes from the 2020 census table
(``data/henan/henan_census2020_county_leiii.csv``) by the workspace's ``adcode``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from gis.facility_types import FACILITIES_LAYER
from gis.indicators._threads import one_at_a_time
from gis.indicators.life_circle import AgeStructure, LifeCircle, compute_life_circle
from gis.province import CENSUS_NAME, DATA_DIR
from gis.report import county_summary, in_metric_crs
from gis.settings import IndicatorSettings
from gis.workspace import Workspace

CODE = "区划代码"
TOTAL = "人口数_合计"
CHILD_AGES = ("0岁", "1到4岁", "5到9岁", "10到14岁")
ELDERLY_AGES = ("60到64岁", "65到69岁", "70到74岁", "75到79岁", "80到84岁", "85岁以上")


@lru_cache(maxsize=4)
def _census(path: str) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={CODE: str})
    return frame[frame[CODE].notna()].set_index(CODE)


def age_structure(adcode: str | None, data_dir: str | Path = DATA_DIR) -> AgeStructure | None:
    """The county's 0-14 and 60+ shares from the 2020 census, or ``None`` when it has no row.

    >>> age = age_structure("410102")
    >>> 0 < age.children_share < 0.5 and 0 < age.elderly_share < 0.5
    True
    >>> age_structure("510106") is None  # the demonstration area (Chengdu) is not in Henan
    True
    """
    if not adcode:
        return None
    census = _census(str(Path(data_dir) / CENSUS_NAME))
    code = str(adcode).strip()
    if code not in census.index:
        return None
    row: dict[Any, Any] = census.loc[code].to_dict()
    total = float(row[TOTAL])
    if not total > 0:
        return None

    def share(ages: tuple[str, ...]) -> float:
        return sum(float(row[f"{sex}_{age}"]) for sex in ("男", "女") for age in ages) / total

    source = f"第七次全国人口普查2020 county {code} ({CENSUS_NAME})"
    return AgeStructure(share(CHILD_AGES), share(ELDERLY_AGES), source)


def life_circle_parameters(settings: IndicatorSettings) -> dict[str, Any]:
    """The catalogue with the thresholds in force, JSON-ready."""
    return {
        "walk_speed_m_s": settings.walk_speed_m_s,
        "facility_snap_m": settings.facility_snap_m,
        "within_built_up": settings.fitness_within_built_up,
        "types": [
            {
                "type_id": t.type_id,
                "name_zh": t.name_zh,
                "name_en": t.name_en,
                "tier_min": t.tier_min,
                "threshold_m": round(settings.life_circle_threshold_m(t), 3),
                "osm_tags": t.osm_tags,
                "layers": list(t.layers),
                "group": t.group,
                "source": t.source,
            }
            for t in settings.life_circle
        ],
    }


def _prov(ws: Workspace) -> dict[str, str]:
    out = {
        name: ws.provenance(name) if ws.layer(name) is not None else "absent"
        for name in (FACILITIES_LAYER, "parks", "sports", "walk_edges", "built_up")
    }
    out["population"] = str((ws.metadata.get("population") or {}).get("provenance", "unknown"))
    return out


def life_circle_of(
    metric: Workspace, settings: IndicatorSettings, age: AgeStructure | None
) -> LifeCircle:
    """The life circle of ``metric`` (a workspace in its metric CRS) with the given age shares.

    The one call of :func:`compute_life_circle` on a workspace: the report below and the
    what-if scenarios (:func:`gis.scenarios.evaluate`, before and after the edits) use it.
    """
    return compute_life_circle(
        metric.layers["walk_nodes"],
        metric.layers["walk_edges"],
        {name: metric.layer(name) for name in (FACILITIES_LAYER, "parks", "sports")},
        metric.population,
        metric.layer("built_up"),
        settings=settings,
        provenance=_prov(metric),
        age_structure=age,
    )


@one_at_a_time
def life_circle_report(
    ws: Workspace, settings: IndicatorSettings, *, data_dir: str | Path = DATA_DIR
) -> tuple[dict[str, Any], LifeCircle]:
    """Compute the life circle of ``ws`` (any CRS); the JSON-ready report and the results."""
    settings.validate()
    metric = ws if in_metric_crs(ws) else ws.to_metric()
    circle = life_circle_of(metric, settings, age_structure(ws.metadata.get("adcode"), data_dir))
    report = {
        "county": county_summary(ws),
        "set": "life_circle",
        "set_name_zh": "15分钟生活圈 / 城市体检",
        "set_name_en": "15-minute life circle (city check-up)",
        "graded": False,
        "year": settings.year,
        "parameters": life_circle_parameters(settings),
        **circle.to_dict(),
    }
    return report, circle
