"""The 15-minute life circle (15分钟生活圈 / 城市体检) catalogue: facility types and thresholds.

One row per facility type: its walking threshold (metres along the pedestrian network), the
OpenStreetMap tags that make a feature one of them, the upload layer it comes from, the
residents it serves and its source.  docs/indicators.md ("15-minute life circle") prints the
same table; :class:`gis.settings.IndicatorSettings` holds a copy (``life_circle``) whose
thresholds the CLI (``--threshold TYPE=M``) and the API (``threshold=TYPE:M``) change.

Sources: GB 50180-2018 城市居住区规划设计标准 (5-, 10- and 15-minute tiers of 300, 500 and
800-1,000 m and the facilities of each tier, appendix B); TD/T 1063-2021 国土空间规划城市体检评估
规程 (the walking-coverage indicators of the 城市体检).  A threshold of ``None`` means "the
fitness circle's distance" (``walk_minutes x 60 x walk_speed_m_s``, 990 m by default), so the
community-sports type is the 百城 fitness circle itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AgeGroup = Literal["all", "children", "elderly"]
FACILITIES_LAYER = "facilities"
"""The stored layer of life-circle facilities: one row per facility and type, ``facility_type``."""

GB50180 = "GB 50180-2018"
TDT1063 = "TD/T 1063-2021"


@dataclass(frozen=True)
class FacilityType:
    """One facility type of the life circle.

    Attributes
    ----------
    type_id : str
        The ``facility_type`` value in the ``facilities`` layer and uploads.
    threshold_m : float or None
        Walking distance along the network within which a resident is covered; ``None``: the
        fitness circle's distance (``IndicatorSettings.max_walk_m``).
    tier_min : int
        The GB 50180-2018 tier (5, 10 or 15 minutes).
    osm_tags : str
        The OpenStreetMap tags read at ingest (documentation of :mod:`gis.osm`'s rule).
    layers : tuple of str
        Workspace layers the facilities are taken from (``facilities`` rows of this type, and
        for parks/squares and sports the existing ``parks`` and ``sports`` layers).
    group : {"all", "children", "elderly"}
        The residents the type serves: children (0-14) and the elderly (60+) are counted with
        the county's census age shares when known.
    """

    type_id: str
    name_zh: str
    name_en: str
    tier_min: int
    threshold_m: float | None
    osm_tags: str
    layers: tuple[str, ...]
    group: AgeGroup
    source: str
    target_pct: float = 100.0


LIFE_CIRCLE_TYPES: tuple[FacilityType, ...] = (
    FacilityType(
        "elderly_care",
        "社区养老服务设施",
        "Elderly care station",
        5,
        300.0,
        "amenity=social_facility + social_facility:for=senior|elderly; amenity=nursing_home",
        (FACILITIES_LAYER,),
        "elderly",
        f"{GB50180} (老年人日间照料中心, 5-min); {TDT1063}",
    ),
    FacilityType(
        "kindergarten",
        "幼儿园",
        "Kindergarten",
        5,
        300.0,
        "amenity=kindergarten",
        (FACILITIES_LAYER,),
        "children",
        f"{GB50180} (幼儿园, 5-min); {TDT1063}",
    ),
    FacilityType(
        "park_square",
        "公园或广场",
        "Park or square",
        5,
        300.0,
        "the parks layer (leisure=park|garden, public); place=square; highway=pedestrian areas",
        ("parks", FACILITIES_LAYER),
        "all",
        f"{TDT1063} (公园绿地、广场步行5分钟覆盖率)",
    ),
    FacilityType(
        "primary_school",
        "小学",
        "Primary school",
        10,
        500.0,
        "amenity=school with isced:level 1 or school:level primary, or named 小学; a school "
        "with no level counts as primary and middle",
        (FACILITIES_LAYER,),
        "children",
        f"{GB50180} (小学, 10-min); {TDT1063}",
    ),
    FacilityType(
        "market",
        "菜市场或生鲜超市",
        "Market or fresh-food supermarket",
        10,
        500.0,
        "amenity=marketplace; shop=supermarket|greengrocer",
        (FACILITIES_LAYER,),
        "all",
        f"{GB50180} (菜市场或生鲜超市, 10-min)",
    ),
    FacilityType(
        "middle_school",
        "初中",
        "Middle school",
        15,
        1000.0,
        "amenity=school with isced:level 2 or school:level middle|secondary, or named 初中/中学 "
        "(not 高中/高级中学 alone); a school with no level counts as primary and middle",
        (FACILITIES_LAYER,),
        "children",
        f"{GB50180} (初中, 15-min); {TDT1063}",
    ),
    FacilityType(
        "clinic",
        "社区卫生服务设施",
        "Clinic or health centre",
        15,
        1000.0,
        "amenity=clinic|doctors|hospital; healthcare=clinic|centre|doctor|hospital",
        (FACILITIES_LAYER,),
        "all",
        f"{GB50180} (社区卫生服务中心, 15-min); {TDT1063}",
    ),
    FacilityType(
        "culture",
        "文化活动设施",
        "Culture (community centre, library)",
        15,
        1000.0,
        "amenity=community_centre|arts_centre|library",
        (FACILITIES_LAYER,),
        "all",
        f"{GB50180} (文化活动中心, 15-min)",
    ),
    FacilityType(
        "community_sports",
        "社区体育设施（15分钟健身圈）",
        "Community sports (the 15-minute fitness circle)",
        15,
        None,
        "the sports layer (leisure=sports_centre|stadium|pitch|fitness_centre|fitness_station|"
        "track|swimming_pool|sports_hall)",
        ("sports", FACILITIES_LAYER),
        "all",
        f"豫百城提质〔2017〕1号 (七); {GB50180} (15-min)",
    ),
)
"""The default catalogue, in report order (5-, 10-, then 15-minute tier)."""

LIFE_CIRCLE_TYPE_IDS: tuple[str, ...] = tuple(t.type_id for t in LIFE_CIRCLE_TYPES)
