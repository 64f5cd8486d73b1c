"""The codebook page of the live site, `/codebook`: every table and field of the served package,
its allowed values, a link to each table, the menu entry, and text from the package escaped."""

from __future__ import annotations

import httpx
import pytest
from markupsafe import escape
from playwright.sync_api import expect

from sitekit import XSS_MARK

from brcd.package import load_package


def test_codebook_page_lists_every_table_field_and_value(live_server, site_root):
    package = load_package(site_root)
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        r = client.get("/codebook")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    for res in package.resources:
        assert f'id="table-{res.name}"' in html and f'href="/brcd/{res.name}"' in html
        for fld in res.fields:
            assert f'id="{res.name}-{fld["name"]}"' in html, (res.name, fld["name"])
            for value in fld.get("constraints", {}).get("enum", []):
                assert f"<code>{escape(str(value))}</code>" in html, (res.name, fld["name"], value)
    assert f"<script>window.{XSS_MARK}" not in html  # the package's text is escaped


@pytest.mark.browser
def test_codebook_page_in_the_browser(page, outside_requests):
    page.goto("/")
    page.locator("details.nav-menu summary").click()
    page.locator("nav a", has_text="Codebook").click()
    page.wait_for_url("**/codebook")
    expect(page.locator("h1")).to_contain_text("Codebook")
    expect(page.locator("#incidents-event_type")).to_contain_text("Battles")
    page.locator("#table-incidents a").click()
    page.wait_for_url("**/brcd/incidents")
    assert page.evaluate(f"window.{XSS_MARK}") is None
    assert outside_requests == []
