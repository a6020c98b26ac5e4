"""Indicator parameters and targets: one frozen configuration, passed in explicitly.

Numbers come from 豫百城提质〔2017〕1号 and the national standards listed in
docs/indicators.md.  Nothing here is read from the environment: ``api/`` and
the CLI build an :class:`IndicatorSettings` (possibly with overrides) and pass it
to each indicator.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from gis.facility_types import LIFE_CIRCLE_TYPES, FacilityType

# GB/T 51328-2018 road classes mapped from OSM ``highway`` values.
URBAN_ROAD_CLASSES: MappingProxyType[str, str] = MappingProxyType(
    {
        "motorway": "expressway",
        "motorway_link": "expressway",
        "trunk": "expressway",
        "trunk_link": "expressway",
        "primary": "arterial",
        "primary_link": "arterial",
        "secondary": "secondary",
        "secondary_link": "secondary",
        "tertiary": "branch",
        "tertiary_link": "branch",
        "unclassified": "branch",
        "residential": "branch",
        "living_street": "branch",
    }
)
ROAD_CLASS_NAMES: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {
        "expressway": ("快速路", "expressway"),
        "arterial": ("主干路", "arterial road"),
        "secondary": ("次干路", "secondary road"),
        "branch": ("支路", "branch road"),
        "other": ("其他道路", "other (not an urban road class)"),
    }
)

# Ways a pedestrian cannot use.
NON_WALKABLE_HIGHWAYS: frozenset[str] = frozenset(
    {
        "motorway",
        "motorway_link",
        "construction",
        "proposed",
        "planned",
        "abandoned",
        "razed",
        "raceway",
        "bus_guideway",
        "busway",
        "platform",
        "elevator",
        "no",
    }
)

SPORTS_LEISURE: frozenset[str] = frozenset(
    {
        "sports_centre",
        "stadium",
        "pitch",
        "fitness_centre",
        "fitness_station",
        "track",
        "swimming_pool",
        "sports_hall",
    }
)
PARK_LEISURE: frozenset[str] = frozenset({"park", "garden"})
GREEN_LANDUSE: frozenset[str] = frozenset(
    {"grass", "forest", "meadow", "village_green", "recreation_ground", "greenery"}
)
GREEN_NATURAL: frozenset[str] = frozenset({"wood", "scrub", "grassland"})
RESIDENTIAL_MIN_SHARE = 0.15
"""Residential land is 'mapped' when it covers at least 15 % of the built-up area (GB 50137-2011
plans 25-40 % of urban construction land as residential: OpenStreetMap with less has simply not
mapped the housing).  Below it the population is spread over the built-up area and the park
service coverage is measured over the built-up area less the parks."""
NOT_HOUSING_LANDUSE: frozenset[str] = frozenset(
    {"industrial", "railway", "military", "cemetery", "landfill", "quarry", "port", "reservoir"}
)
"""OSM land use where nobody lives: left out when a population total is spread over the
built-up area (parks, green space, sports grounds and water are left out too)."""

URBAN_LANDUSE: frozenset[str] = frozenset(
    {
        "residential",
        "commercial",
        "retail",
        "industrial",
        "railway",
        "education",
        "institutional",
        "construction",
        "religious",
    }
)
APPROVED_PLAN_STATUSES: frozenset[str] = frozenset(
    {"approved", "批准", "已批准", "已批复", "批复", "审批通过", "生效"}
)
# An urban design counts once it is approved or its compilation is finished.
COMPLETED_DESIGN_STATUSES: frozenset[str] = APPROVED_PLAN_STATUSES | frozenset(
    {"completed", "complete", "finished", "完成", "已完成", "编制完成"}
)


PUBLIC_PARKING_EXCLUDED_ACCESS: frozenset[str] = frozenset(
    {"private", "no", "customers", "permit", "residents", "employees", "delivery", "agricultural"}
)
"""OSM ``access`` values of parking that is not public (豫百城提质 counts 公共停车泊位 only):
``amenity=parking`` with one of these is left out at ingest; no ``access`` tag, ``yes``,
``public`` and ``permissive`` (and ``destination``) count."""
PUBLIC_PARKING_EXCLUDED_TYPES: frozenset[str] = frozenset({"garage_boxes", "carports"})
"""``parking=*`` values that are private by construction (rows of lock-up garages, carports)."""
SEWER_SERVICE_M = 200.0
"""Service distance of a sewer pipe (product default, not a standard's figure): a plot within
200 m of a sewer main can be connected by one short branch; see docs/indicators.md."""
SITE_METHODS: tuple[str, ...] = ("exact", "greedy")
"""How fitness sites are suggested: the exact maximal covering (an integer programme solved by
HiGHS within ``sites_time_limit_s``, the greedy answer when it does not finish) or greedy only."""
TARGET_YEAR_2020 = 2020
"""The year of the targets that the seed gives for 2020 only (parking, sewers, water, plans)."""


@dataclass(frozen=True)
class YearTargets:
    """Targets in force for one assessment year."""

    road_density_km_per_km2: float
    fitness_coverage_pct: float = 100.0
    park_m2_per_capita: float = 8.5
    green_space_ratio_pct: float = 33.0
    park_service_coverage_pct: float = 80.0
    plan_coverage_pct: float = 100.0
    urban_design_coverage_pct: float = 100.0
    parking_spaces_per_100_cars: float = 10.0
    sewer_coverage_pct: float = 90.0
    water_supply_pct: float = 90.0
    sewage_treatment_pct: float = 88.0
    special_plans_approved_pct: float = 100.0


@dataclass(frozen=True)
class IndicatorSettings:
    """Every parameter an indicator uses, with defaults from the standards."""

    year: int = 2020
    walk_minutes: float = 15.0
    walk_speed_m_s: float = 1.1
    facility_snap_m: float = 100.0
    sites_k: int = 5
    big_park_m2: float = 5000.0
    big_park_radius_m: float = 500.0
    small_park_m2: float = 1000.0
    small_park_radius_m: float = 300.0
    dual_carriageway_gap_m: float = 60.0
    dead_end_edge_buffer_m: float = 100.0
    site_candidates_max: int = 300
    sites_method: str = "exact"  # "exact" (MILP within the time limit, else greedy) or "greedy"
    sites_time_limit_s: float = 5.0
    sparsest_blocks_n: int = 5
    fitness_within_built_up: bool = True
    residential_min_share: float = RESIDENTIAL_MIN_SHARE
    sewer_service_m: float = SEWER_SERVICE_M
    life_circle: tuple[FacilityType, ...] = LIFE_CIRCLE_TYPES
    targets_by_year: MappingProxyType[int, YearTargets] = field(
        default_factory=lambda: MappingProxyType(
            {
                2018: YearTargets(road_density_km_per_km2=7.0),
                2020: YearTargets(road_density_km_per_km2=8.0),
            }
        )
    )

    @property
    def max_walk_m(self) -> float:
        """Walking distance of the fitness circle: minutes x 60 x speed, in metres."""
        return self.walk_minutes * 60.0 * self.walk_speed_m_s

    @property
    def targets(self) -> YearTargets:
        """Targets for :attr:`year` (the latest earlier year when not listed)."""
        years = sorted(y for y in self.targets_by_year if y <= self.year)
        if not years:
            msg = f"no targets for year {self.year}; known years {sorted(self.targets_by_year)}"
            raise ValueError(msg)
        return self.targets_by_year[years[-1]]

    def target_year(self) -> int:
        """The year whose targets apply (2018 or 2020 for the seed's two road targets)."""
        return max(y for y in self.targets_by_year if y <= self.year)

    def life_circle_threshold_m(self, facility: FacilityType) -> float:
        """Walking threshold of a life-circle type (``None`` in the catalogue: the fitness one)."""
        return self.max_walk_m if facility.threshold_m is None else float(facility.threshold_m)

    def with_life_circle_thresholds(self, thresholds_m: dict[str, float]) -> IndicatorSettings:
        """Copy with some life-circle thresholds changed (``{type_id: metres}``), validated."""
        known = {t.type_id for t in self.life_circle}
        unknown = sorted(set(thresholds_m) - known)
        if unknown:
            msg = (
                f"invalid parameters: unknown facility type {', '.join(unknown)} "
                f"(expected one of {', '.join(t.type_id for t in self.life_circle)})"
            )
            raise ValueError(msg)
        types = tuple(
            replace(t, threshold_m=float(thresholds_m[t.type_id]))
            if t.type_id in thresholds_m
            else t
            for t in self.life_circle
        )
        return self.with_overrides(life_circle=types)

    def with_overrides(self, **kwargs: Any) -> IndicatorSettings:
        """Copy with some fields changed (``None`` values ignored), validated."""
        clean = {k: v for k, v in kwargs.items() if v is not None}
        new = replace(self, **clean)
        new.validate()
        return new

    def validate(self) -> None:
        """Raise ``ValueError`` naming each parameter out of range."""
        bad = []
        if not 0 < self.walk_minutes <= 120:
            bad.append(f"walk_minutes={self.walk_minutes} (expected 0 < minutes <= 120)")
        if not 0.2 <= self.walk_speed_m_s <= 3.0:
            bad.append(f"walk_speed_m_s={self.walk_speed_m_s} (expected 0.2-3.0 m/s)")
        if not 0 <= self.sites_k <= 100:
            bad.append(f"sites_k={self.sites_k} (expected 0-100)")
        if self.sites_method not in SITE_METHODS:
            bad.append(f"sites_method={self.sites_method!r} (expected one of {SITE_METHODS})")
        if not 0 < self.sites_time_limit_s <= 600:
            bad.append(f"sites_time_limit_s={self.sites_time_limit_s} (expected 0 < s <= 600)")
        if not 0 < self.sewer_service_m <= 2000:
            bad.append(f"sewer_service_m={self.sewer_service_m} (expected 0 < metres <= 2000)")
        for t in self.life_circle:
            if t.threshold_m is not None and not 0 < t.threshold_m <= 5000:
                bad.append(f"{t.type_id}={t.threshold_m:g} m (expected 0 < metres <= 5000)")
        if self.year not in self.targets_by_year and self.year < min(self.targets_by_year):
            bad.append(f"year={self.year} (expected one of {sorted(self.targets_by_year)})")
        if bad:
            raise ValueError("invalid parameters: " + "; ".join(bad))


DEFAULT_SETTINGS = IndicatorSettings()
