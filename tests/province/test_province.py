"""The 157 units joined with the census, checked against the source tables themselves."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from gis.errors import InputFileError, NotFoundError
from gis.province import (
    DATA_DIR,
    NO_CENSUS,
    ProvinceSources,
    find_unit,
    join_units,
    load_units,
    read_province_sources,
    reconcile,
    unit_records,
)


def _census_rows() -> list[dict[str, str]]:
    with (DATA_DIR / "henan_census2020_county_leiii.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def sources() -> ProvinceSources:
    return read_province_sources()


@pytest.fixture(scope="module")
def units(sources: ProvinceSources):  # type: ignore[no-untyped-def]
    return join_units(sources)


def test_all_157_units_kept_with_levels(units) -> None:  # type: ignore[no-untyped-def]
    assert len(units) == 157
    assert units["adcode"].is_unique
    assert units["level"].value_counts().to_dict() == {"county": 82, "district": 54, "city": 21}
    assert units.crs.to_epsg() == 4326
    assert units.geometry.is_valid.all() and not units.geometry.is_empty.any()


def test_two_units_created_in_2021_are_flagged_not_guessed(units) -> None:  # type: ignore[no-untyped-def]
    flagged = units[units["census_status"] == NO_CENSUS]
    assert sorted(flagged["adcode"]) == ["410307", "410308"]
    assert sorted(flagged["name"]) == ["偃师区", "孟津区"]
    assert flagged["population_2020"].isna().all()
    assert flagged["nbs_population_2020"].isna().all()
    assert all("no 2020 census row" in n for n in flagged["note"])
    assert (units.loc[units["census_status"] == "ok", "note"] == "").all()


def test_population_equals_the_source_row_for_every_unit(units) -> None:  # type: ignore[no-untyped-def]
    # Read the CSV with the csv module (independent of the pandas path under test).
    by_code = {r["区划代码"]: r for r in _census_rows() if r["区划代码"]}
    checked = 0
    for row in units.itertuples():
        if row.census_status == NO_CENSUS:
            assert row.adcode not in by_code
            continue
        src = by_code[row.adcode]
        assert int(row.population_2020) == int(src["人口数_合计"])
        urban = src["城区人口"]
        if urban:
            assert int(row.urban_district_population_2020) == int(float(urban))
        else:
            assert pd.isna(row.urban_district_population_2020)
        checked += 1
    assert checked == 155


def test_known_figures() -> None:
    units = load_units()
    pop = dict(zip(units["adcode"], units["population_2020"], strict=True))
    assert pop["410181"] == 785_242  # 巩义市
    assert pop["410225"] == 777_278  # 兰考县
    assert pop["419001"] == 727_265  # 济源市
    assert pop["411525"] == 1_041_399  # 固始县
    urban = dict(zip(units["adcode"], units["urban_district_population_2020"], strict=True))
    assert urban["410181"] == 328_149
    assert pd.isna(urban["410225"])  # counties: 城区人口 not tabulated


def test_henan_total_and_row_sums_reconcile(sources, units) -> None:  # type: ignore[no-untyped-def]
    rows = _census_rows()
    province = [r for r in rows if r["区划代码"] == "410000"]
    assert len(province) == 1 and int(province[0]["人口数_合计"]) == 99_365_519
    r = reconcile(sources.census, set(units["adcode"]))
    assert r.province_total == 99_365_519
    assert r.prefectures_consistent and r.counties_consistent
    assert r.uncoded_rows_total == sum(int(x["人口数_合计"]) for x in rows if not x["区划代码"])
    assert r.joined_units_total == int(units["population_2020"].sum()) == 93_903_200
    # The gap between the province and the 155 joined units is the development zones, the
    # uncoded rows and the three 2020 units replaced in 2021 (偃师市, 孟津县, 吉利区).
    by_code = {x["区划代码"]: int(x["人口数_合计"]) for x in rows if x["区划代码"]}
    replaced = by_code["410381"] + by_code["410322"] + by_code["410306"]
    zones = sum(v for k, v in by_code.items() if k[4] == "7")
    assert r.joined_units_total + replaced + zones + r.uncoded_rows_total == 99_365_519
    # The NBS table agrees with the census table unit by unit.
    ok = units[units["census_status"] == "ok"]
    nbs = ok["nbs_population_2020"].astype("int64")
    assert (nbs == ok["population_2020"].astype("int64")).all()


def test_reconcile_detects_an_inconsistent_table(sources) -> None:  # type: ignore[no-untyped-def]
    broken = sources.census.copy()
    broken.loc[broken["区划代码"] == "410102", "人口数_合计"] += 1
    r = reconcile(broken, set())
    assert not r.counties_consistent and r.prefectures_consistent


def test_duplicate_code_refused(sources) -> None:  # type: ignore[no-untyped-def]
    census = pd.concat([sources.census, sources.census.iloc[[2]]])
    with pytest.raises(InputFileError, match="duplicate adcodes"):
        join_units(ProvinceSources(sources.boundaries, census, sources.tudigong, sources.ghsl))


def test_missing_source_file_names_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputFileError, match="henan_district_tianditu_wgs84.geojson"):
        read_province_sources(tmp_path)


def test_find_unit_and_records(units) -> None:  # type: ignore[no-untyped-def]
    assert find_unit(units, "410307")["name"] == "偃师区"
    with pytest.raises(NotFoundError, match="not one of Henan's 157"):
        find_unit(units, "999999")
    recs = unit_records(units)
    assert len(recs) == 157 and "geometry" not in recs[0]
    yanshi = next(r for r in recs if r["adcode"] == "410307")
    assert yanshi["population_2020"] is None and yanshi["census_status"] == NO_CENSUS
