"""The site in a real browser: Debian's Chromium through Playwright, against a live `brcd serve`.

Every test runs with requests to anything but 127.0.0.1 aborted and recorded; the map test
asserts that none was even attempted. Failed tests leave screenshots in test-results/.
"""

from __future__ import annotations

import collections
import re

import pytest
from playwright.sync_api import expect

from sitekit import SEARCH_TOKEN, XSS_MARK, read_rows

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def incidents(site_root):
    return read_rows(site_root / "tables" / "incidents.csv")


def filtered_count(page) -> int:
    """The `N rows where ...` count Datasette prints above a filtered table."""
    text = page.locator("h3").first.inner_text()
    m = re.match(r"([\d,]+) rows?", text)
    assert m, text
    return int(m.group(1).replace(",", ""))


def test_home_page_shows_version_and_row_counts(page, site_root, outside_requests):
    from brcd.package import load_package

    package = load_package(site_root)
    page.goto("/")
    expect(page.locator("#brcd-version")).to_have_text(package.version)
    for res in package.resources:
        cell = page.locator(f'tr[data-table="{res.name}"] .brcd-count')
        expect(cell).to_have_text(f"{len(read_rows(res.path)):,}")
    expect(page.locator("#brcd-citation")).to_contain_text(package.version)
    expect(page.locator("#brcd-downloads a", has_text="SQLite database")).to_have_count(1)
    expect(page.locator("section.content a", has_text="basemap")).to_have_count(0)
    assert outside_requests == []


def test_facet_click_filters_the_table(page, incidents):
    value, count = collections.Counter(row["event_type"] for row in incidents).most_common(1)[0]
    page.goto("/brcd/incidents")
    page.locator('.facet-info[data-column="event_type"] a', has_text=value).first.click()
    page.wait_for_url(re.compile(r"event_type="))
    assert filtered_count(page) == count
    cells = page.locator("td.col-event_type").all_inner_texts()
    assert cells and set(cells) == {value}


def test_search_finds_a_row(page, site_facts):
    page.goto("/brcd/incidents")
    page.fill("input#_search", SEARCH_TOKEN)
    page.locator("form.filters input[type=submit]").click()
    page.wait_for_url(re.compile(r"_search="))
    assert filtered_count(page) == 1
    expect(page.locator("td.col-incident_id")).to_have_text([site_facts["script_incident_id"]])


@pytest.mark.parametrize("table", ["incidents", "minerals"])
def test_map_draws_markers_offline(page, outside_requests, table, site_root):
    located = [r for r in read_rows(site_root / "tables" / f"{table}.csv") if r["latitude"] and r["longitude"]]
    tiles = []
    page.on("response", lambda r: tiles.append(r) if "/-/tiles/" in r.url else None)
    page.goto(f"/brcd/{table}")
    expect(page.locator(".leaflet-container")).to_be_visible()
    expect(page.locator("#brcd-map[data-ready='1']")).to_have_count(1, timeout=15_000)
    if located:
        expect(page.locator(".leaflet-container .leaflet-marker-icon").first).to_be_visible()
    else:  # a table without points still gets its map, and says why it is empty
        expect(page.locator("#brcd-map-note")).to_contain_text("0 rows with a point")
    page.wait_for_load_state("networkidle")
    assert any(r.status == 200 for r in tiles), "no basemap tile was served locally"
    assert outside_requests == []


def test_organization_page_links_its_incidents(page, incidents, site_root):
    org, count = collections.Counter(row["actor1_id"] for row in incidents).most_common(1)[0]
    name = {r["org_id"]: r["name"] for r in read_rows(site_root / "tables" / "organizations.csv")}[org]
    page.goto(f"/brcd/organizations/{org}")
    expect(page.locator("article.brcd-record h1")).to_have_text(name)
    expect(page.locator(".brcd-kicker .brcd-id")).to_have_text(org)
    section = page.locator("section.brcd-related", has_text="naming it as actor 1")
    if count > 5:
        section.locator(f'a[href$="/brcd/incidents?actor1_id={org}"]').click()
    else:
        page.goto(f"/brcd/incidents?actor1_id={org}")
    page.wait_for_url(re.compile(r"/brcd/incidents\?actor1_id="))
    assert filtered_count(page) == count
    # The foreign key shows the organization's name and links back to it.
    expect(page.locator(f'td.col-actor1_id a[href$="/brcd/organizations/{org}"]').first).to_have_text(name)


def test_stored_query_runs_with_a_parameter(page, incidents):
    district = collections.Counter(r["district_id"] for r in incidents if r["district_id"]).most_common(1)[0][0]
    # an incident whose toll no source reports (empty best) has no "at least 0 deaths"
    expected = sorted(r["incident_id"] for r in incidents if r["district_id"] == district and r["fatalities_best"])
    page.goto("/brcd/site_incidents_in_district")
    page.select_option('select[name="district_id"]', district)
    page.fill('input[name="min_deaths"]', "0")
    page.locator('form.sql input[type="submit"]').click()
    page.wait_for_url(re.compile(r"district_id="))
    got = page.locator("td.col-incident_id").all_inner_texts()
    assert sorted(got) == expected


@pytest.mark.parametrize("path", ["/", "/brcd/incidents", "row", "search"])
def test_injected_script_does_not_run(page, site_facts, path):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    url = {"row": f"/brcd/incidents/{site_facts['script_incident_id']}",
           "search": f"/brcd/incidents?_search={SEARCH_TOKEN}"}.get(path, path)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert page.evaluate(f"typeof window.{XSS_MARK}") == "undefined"
    assert dialogs == []
    if path in ("row", "search"):
        expect(page.locator("body")).to_contain_text(f"<script>window.{XSS_MARK}=1</script>")


def test_column_descriptions_are_folded_and_open_on_click(page, site_root):
    from brcd.package import load_package

    fld = load_package(site_root).resource("incidents").field("fatalities_best")
    page.goto("/brcd/incidents")
    details = page.locator("details.brcd-columns")
    expect(details).to_have_count(1)
    expect(details.locator("dd").first).to_be_hidden()
    details.locator("summary").click()
    expect(details.locator("dd", has_text=fld["description"])).to_be_visible()
