"""The public page's record list stays small whatever the county's history: it embeds the
newest records only and pages and searches through the records API beyond them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import DEMO_ID

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.mark.browser
def test_records_beyond_the_page_come_from_the_api(
    live_server: str, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import sync_playwright

    import api.pages

    monkeypatch.setattr(api.pages, "PUBLIC_RECORDS_EMBEDDED", 5)
    every = client.get(f"/api/v1/counties/{DEMO_ID}/disclosures?limit=1000").get_json()
    total = every["number_matched"]
    assert total > 10  # the demonstration area's public records (sample data)
    newest = [r["record_id"] for r in every["records"]]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{live_server}/public/{DEMO_ID}", wait_until="load")
            items = page.locator("#record-list li")
            assert items.count() == 5
            assert page.locator("#record-count").inner_text() == str(total)

            def ids() -> list[str | None]:
                return [items.nth(i).get_attribute("data-record-id") for i in range(items.count())]

            assert ids() == newest[:5]
            page.click("#record-more")
            page.wait_for_function(
                "() => document.querySelectorAll('#record-list li').length == 10"
            )
            assert ids() == newest[:10]
            # a search asks the API and replaces the list with what matches
            kind = every["records"][0]["type"]
            matching = client.get(
                f"/api/v1/counties/{DEMO_ID}/disclosures", query_string={"type": kind}
            ).get_json()
            page.select_option("#record-type", kind)
            page.wait_for_function(
                "n => document.getElementById('record-count').textContent === String(n)",
                arg=matching["number_matched"],
            )
            expected = [r["record_id"] for r in matching["records"][:5]]
            page.wait_for_function(
                "n => document.querySelectorAll('#record-list li').length === n",
                arg=len(expected),
            )
            assert ids() == expected
            assert page.locator("#record-more").is_hidden() == (matching["number_matched"] <= 5)
        finally:
            browser.close()
