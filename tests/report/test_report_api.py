"""The picture and report routes (api/pictures.py) on the real demonstration county.

The report files must carry every indicator's value exactly as ``/indicators`` gives it; the
first two PDF pages and a PNG export are saved under test-artifacts/ (git-ignored) to look at.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from PIL import Image
from pypdf import PdfReader

from layers.charts import value_text
from tests.helpers import DEMO_ID, ROOT, create_token

ARTIFACTS = ROOT / "test-artifacts"
BASE = f"/api/v1/counties/{DEMO_ID}"


@pytest.fixture(scope="module")
def indicators(web_app: Any) -> list[dict[str, Any]]:
    resp = web_app.test_client().get(f"{BASE}/indicators")
    assert resp.status_code == 200
    items: list[dict[str, Any]] = resp.get_json()["indicators"]
    return items


@pytest.fixture(scope="module")
def staff(web_app: Any) -> dict[str, str]:
    token = create_token(web_app, "picture-staff", "staff", [DEMO_ID])
    return {"Authorization": f"Bearer {token}"}


def _save(name: str, data: bytes) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.write_bytes(data)
    return path


def test_map_png_has_the_asked_size(client: Any) -> None:
    resp = client.get(f"{BASE}/map.png?width=1000&height=700&layers=boundary,roads,parks")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "image/png"
    image = Image.open(io.BytesIO(resp.data))
    assert image.size == (1000, 700)
    _save("map-export.png", resp.data)
    again = client.get(
        f"{BASE}/map.png?width=1000&height=700&layers=boundary,roads,parks",
        headers={"If-None-Match": resp.headers["ETag"]},
    )
    assert again.status_code == 304


def test_map_png_default_is_the_planner_view(client: Any) -> None:
    resp = client.get(f"{BASE}/map.png")
    assert resp.status_code == 200
    assert Image.open(io.BytesIO(resp.data)).size == (1200, 900)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("width=4001", "width"),
        ("height=10", "height"),
        ("layers=roads,nope", "unknown layer 'nope'"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=-180,-80,180,80", "too large"),
        ("lang=fr", "lang"),
    ],
)
def test_bad_picture_requests_are_400_with_a_message(client: Any, query: str, message: str) -> None:
    resp = client.get(f"{BASE}/map.png?{query}")
    assert resp.status_code == 400
    assert message in resp.get_json()["message"]


def test_unknown_county_is_404(client: Any) -> None:
    assert client.get("/api/v1/counties/nowhere/map.png").status_code == 404
    assert client.get("/api/v1/counties/nowhere/report.pdf").status_code == 404


def test_anonymous_picture_shows_only_public_records(client: Any, staff: dict[str, str]) -> None:
    """The demo has disclosures not marked public: staff's picture differs from a visitor's,
    and the visitor's equals the picture of the public records only."""
    url = f"{BASE}/map.png?layers=boundary,disclosures&width=600&height=450"
    public = client.get(url)
    private = client.get(url, headers=staff)
    assert public.status_code == private.status_code == 200
    assert public.data != private.data
    assert "private" in private.headers["Cache-Control"]
    assert "Authorization" in public.headers["Vary"]


def test_charts_png_and_svg(client: Any, indicators: list[dict[str, Any]]) -> None:
    item = next(i for i in indicators if i["value"] is not None)
    svg = client.get(f"{BASE}/charts/{item['id']}.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert value_text(item["value"]) in svg.get_data(as_text=True)
    png = client.get(f"{BASE}/charts/{item['id']}.png?lang=en")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert Image.open(io.BytesIO(png.data)).size == (600, 190)
    missing = client.get(f"{BASE}/charts/no_such_indicator.svg")
    assert missing.status_code == 404 and "road_density" in missing.get_json()["message"]


def test_report_pdf_holds_every_value_as_the_api_gives_it(
    client: Any, indicators: list[dict[str, Any]]
) -> None:
    resp = client.get(f"{BASE}/report.pdf")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/pdf"
    assert "attachment" in resp.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(resp.data))
    pages = [page.extract_text() for page in reader.pages]
    text = "\n".join(pages)
    # cover, summary, one section per indicator, then the sites/changes/appendix section
    assert len(pages) >= 2 + len(indicators)
    assert "年度考核报告" in pages[0] and "示范区" in pages[0]
    for item in indicators:
        assert item["name_zh"] in text, item["id"]
        if item["value"] is not None:
            assert value_text(item["value"]) in text, item["id"]
    _save("report.pdf", resp.data)
    import pypdfium2

    document = pypdfium2.PdfDocument(resp.data)
    for index in range(2):
        image = document[index].render(scale=1.5).to_pil()
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        _save(f"report-page-{index + 1}.png", buffer.getvalue())
    document.close()


def _docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_report_docx_holds_every_value_as_the_api_gives_it(
    client: Any, indicators: list[dict[str, Any]]
) -> None:
    resp = client.get(f"{BASE}/report.docx?lang=en")
    assert resp.status_code == 200
    assert resp.mimetype.endswith("wordprocessingml.document")
    doc = Document(io.BytesIO(resp.data))
    paragraphs = [p.text for p in doc.paragraphs]
    for item in indicators:
        assert item["name_en"] in paragraphs, item["id"]
        if item["value"] is not None:
            wanted = f"Value: {value_text(item['value'])} {item['unit']}"
            assert wanted in paragraphs, item["id"]
    assert len(doc.inline_shapes) >= len(indicators)  # a chart per indicator and the gap maps
    text = _docx_text(resp.data)
    assert "Appendix: parameters" in text and "walk_speed_m_s" in text


def test_report_follows_the_indicator_parameters(client: Any) -> None:
    resp = client.get(f"{BASE}/report.docx?year=2018&minutes=5")
    api = client.get(f"{BASE}/indicators?year=2018&minutes=5").get_json()["indicators"]
    text = _docx_text(resp.data)
    fitness = next(i for i in api if i["id"] == "fitness_15min_coverage")
    assert f"数值: {value_text(fitness['value'])} %" in text
    assert "(2018)" in text


def test_planner_page_links_the_exports(client: Any) -> None:
    page = client.get(f"/map/{DEMO_ID}").get_data(as_text=True)
    assert 'id="map-picture"' in page and "导出图片 PNG" in page
    assert f"/api/v1/counties/{DEMO_ID}/report.pdf" in page
    assert f"/api/v1/counties/{DEMO_ID}/report.docx" in page
    assert "生成考核报告 (PDF/DOCX)" in page
    assert f"/api/v1/counties/{DEMO_ID}/charts/road_density.svg" in page
    assert "js/export-picture.js" in page


ROUTES = (
    "/map.png?layers=boundary,disclosures&width=600&height=450",
    "/charts/road_density.png",
    "/charts/road_density.svg",
    "/report.pdf",
    "/report.docx",
)


@pytest.mark.parametrize("tail", ROUTES)
def test_every_role_may_fetch_pictures_and_reports(
    web_app: Any, staff: dict[str, str], tail: str
) -> None:
    """Public like the indicators: anonymous visitors, public accounts, staff of another county
    and the county's staff all get them; only the county's staff see private records."""
    client = web_app.test_client()
    viewer = create_token(web_app, f"viewer-{ROUTES.index(tail)}", "public", [])
    other = create_token(web_app, f"other-staff-{ROUTES.index(tail)}", "staff", ["other-county"])
    answers = {
        "anonymous": client.get(BASE + tail),
        "public": client.get(BASE + tail, headers={"Authorization": f"Bearer {viewer}"}),
        "other staff": client.get(BASE + tail, headers={"Authorization": f"Bearer {other}"}),
        "staff": client.get(BASE + tail, headers=staff),
    }
    assert {who: r.status_code for who, r in answers.items()} == dict.fromkeys(answers, 200)
    assert answers["public"].data == answers["anonymous"].data
    assert answers["other staff"].data == answers["anonymous"].data
    if tail.startswith("/map.png"):
        assert answers["staff"].data != answers["anonymous"].data
    else:
        assert answers["staff"].data == answers["anonymous"].data
