"""The site as a reader sees it, in Debian's Chromium: pages that fit the screen, records that read
as cards with named and linked ids, search with stemming, a map that zooms to district scale,
charts with data, an accessibility scan, and the security headers at work.

Expected values come from the served package's CSVs, not from the database. Every test runs with
requests to anything but 127.0.0.1 aborted and recorded (`outside_requests`).

Screenshots of the home page, a table page, one record page per table (1280 and 390 px wide),
the charts and the map are written to test-results/screenshots/ on every run: look at them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from sitekit import REPO, XSS_MARK, read_rows

pytestmark = pytest.mark.browser

SHOTS = REPO / "test-results" / "screenshots"
WIDE, NARROW = 1280, 390

def _package():
    from brcd.package import load_package

    return load_package(REPO)


TABLES = [r.name for r in _package().resources]
PK = {r.name: r.primary_key[0] for r in _package().resources}

# Everything that scrolls sideways: the page itself, and any element that scrolls on its own
# (Datasette's table wrapper, a <pre>, the map) whose content is wider than its box.
SIDEWAYS = """() => {
  const out = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth) out.push(`page: ${doc.scrollWidth} > ${doc.clientWidth}`);
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (!['auto', 'scroll'].includes(style.overflowX) || el.clientWidth === 0) continue;
    if (el.scrollWidth > el.clientWidth) {
      out.push(`${el.tagName.toLowerCase()}.${el.className}: ${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  return out;
}"""


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def goto(page, path: str, width: int = WIDE):
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(path)
    assert response is not None and response.status == 200, (path, response and response.status)
    page.wait_for_load_state("networkidle")
    return response


def sideways(page) -> list[str]:
    return page.evaluate(SIDEWAYS)


@pytest.fixture(scope="module")
def rows(site_root):
    return {t: read_rows(site_root / "tables" / f"{t}.csv") for t in TABLES}


def sample_id(rows, table: str) -> str:
    """A row with many filled cells: the fullest card of the table."""
    return max(rows[table], key=lambda r: sum(1 for v in r.values() if v))[PK[table]]


# ---- nothing scrolls sideways --------------------------------------------------------------------

@pytest.mark.parametrize("table", TABLES)
def test_table_page_fits_1280_px(page, table, outside_requests):
    goto(page, f"/brcd/{table}")
    expect(page.locator("table.rows-and-columns")).to_be_visible()
    assert sideways(page) == []
    if table == "incidents":
        shot(page, "table-incidents-1280")
    assert outside_requests == []


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("width", [WIDE, NARROW])
def test_record_page_reads_as_a_card_that_fits(page, rows, table, width, outside_requests):
    pk = sample_id(rows, table)
    goto(page, f"/brcd/{table}/{pk}", width)
    card = page.locator("article.brcd-record")
    expect(card).to_be_visible()
    expect(card.locator(".brcd-kicker .brcd-id")).to_have_text(pk)
    assert card.locator("section.brcd-group h2").count() >= 2
    assert sideways(page) == []
    shot(page, f"record-{table}-{width}")
    assert outside_requests == []


# ---- ids by name, sources in full ---------------------------------------------------------------

def test_ids_are_links_named_after_their_rows(page, rows):
    names = {r["org_id"]: r["name"] for r in rows["organizations"]}
    districts = {r["district_id"]: r["name"] for r in rows["districts"]}
    row = next(r for r in rows["incidents"] if r["district_id"] and r["actor1_id"])
    goto(page, f"/brcd/incidents/{row['incident_id']}")
    actor = page.locator(".brcd-field-actor1_id dd a")
    expect(actor).to_have_text(names[row["actor1_id"]])
    assert actor.get_attribute("href").endswith(f"/brcd/organizations/{row['actor1_id']}")
    district = page.locator(".brcd-field-district_id dd a")
    expect(district).to_have_text(districts[row["district_id"]])
    actor.click()
    page.wait_for_url(re.compile(rf"/brcd/organizations/{row['actor1_id']}$"))
    expect(page.locator("article.brcd-record h1")).to_have_text(names[row["actor1_id"]])


def test_cited_sources_are_listed_with_headline_publisher_date_and_address(page, rows):
    sources = {r["source_id"]: r for r in rows["sources"]}
    row = max(rows["incidents"], key=lambda r: len(r["source_ids"].split(";")))
    cited = [s.strip() for s in row["source_ids"].split(";") if s.strip()]
    goto(page, f"/brcd/incidents/{row['incident_id']}")
    items = page.locator("ol.brcd-sources > li")
    expect(items).to_have_count(len(cited))
    for i, sid in enumerate(cited):
        src, item = sources[sid], items.nth(i)
        expect(item.locator("a").first).to_have_text(src["title"])
        if src["publisher"]:
            expect(item).to_contain_text(src["publisher"])
        if src["published_at"]:
            expect(item).to_contain_text(src["published_at"])
        if src["url"]:
            expect(item.locator(f'a.brcd-url[href="{src["url"]}"]').first).to_be_visible()


def test_related_rows_show_inline_with_their_count(page, rows):
    counts: dict[str, int] = {}
    for r in rows["incidents"]:
        counts[r["actor1_id"]] = counts.get(r["actor1_id"], 0) + 1
    org, count = max(counts.items(), key=lambda kv: kv[1])
    goto(page, f"/brcd/organizations/{org}")
    section = page.locator("section.brcd-related", has_text="naming it as actor 1")
    expect(section.locator("h2")).to_contain_text(f"({count:,})")
    assert section.locator("li a").count() == min(count, 5)
    # Datasette's "0 rows from ..." list of every other reference is gone.
    expect(page.locator("text=/^0 rows?$/")).to_have_count(0)


def test_every_field_stays_reachable(page, rows, site_root):
    from brcd.package import load_package

    row = rows["incidents"][0]
    goto(page, f"/brcd/incidents/{row['incident_id']}")
    details = page.locator("details.brcd-all-fields")
    details.locator("summary").click()
    fields = load_package(site_root).resource("incidents").field_names
    expect(details.locator("tbody tr")).to_have_count(len(fields))
    json_href = page.locator("a", has_text="JSON").first.get_attribute("href")
    data = page.request.get(json_href).json()
    assert data["columns"] == fields


def test_codes_read_as_labels_and_booleans_as_yes_or_no(page, rows):
    goto(page, "/brcd/financing")
    status = page.locator("td.col-status").first
    code = status.locator(".brcd-code").get_attribute("title").removeprefix("code: ")
    assert code in {r["status"] for r in rows["financing"]}
    assert status.inner_text().strip() != code
    money = [t for t in page.locator("td.col-amount_usd_nominal").all_inner_texts() if t.strip() not in ("", "unknown")]
    assert money and all(t.startswith("US$") and ".0" not in t for t in money)
    row = rows["incidents"][0]
    goto(page, f"/brcd/incidents/{row['incident_id']}")
    expect(page.locator(".brcd-field-is_parent dd")).to_have_text("yes" if row["is_parent"] == "true" else "no")


def test_long_text_is_clipped_with_a_way_to_open_it(page, rows):
    longest = max(rows["incidents"], key=lambda r: len(r["description"]))
    assert len(longest["description"]) > 140, "no description long enough to clip"
    goto(page, "/brcd/incidents?" + f"incident_id={longest['incident_id']}")
    cell = page.locator("td.col-description details.brcd-clip")
    expect(cell.locator(".brcd-clip-full")).to_be_hidden()
    cell.locator("summary").click()
    expect(cell.locator(".brcd-clip-full")).to_be_visible()


def test_all_columns_are_a_click_away(page, site_root):
    from brcd.package import load_package

    res = load_package(site_root).resource("incidents")
    goto(page, "/brcd/incidents")
    compact = page.locator("table.rows-and-columns thead th").count()
    assert compact < len(res.field_names)
    page.locator("a", has_text=f"Show all {len(res.field_names)} columns").click()
    page.wait_for_url(re.compile(r"_fields=all"))
    expect(page.locator("table.rows-and-columns thead th")).to_have_count(len(res.field_names))


def test_a_facet_asked_for_twice_shows_once(page):
    goto(page, "/brcd/incidents?_facet=event_type")
    expect(page.locator('.facet-info[data-column="event_type"]')).to_have_count(1)
    expect(page.locator('.facet-info[data-column="event_type_2"]')).to_have_count(0)


# ---- search ---------------------------------------------------------------------------------------

def test_search_for_hijacking_finds_the_jaffar_express_row(page, rows, outside_requests):
    hijackings = {r["incident_id"] for r in rows["incidents"]
                  if "jaffar express" in " ".join(r.values()).lower() and "hijack" in " ".join(r.values()).lower()}
    assert hijackings, "the package has no Jaffar Express hijacking row"
    goto(page, "/")
    page.fill("#brcd-q", "hijacking")
    page.locator(".brcd-search-form input[type=submit]").click()
    page.wait_for_url(re.compile(r"/-/search\?q=hijacking"))
    found = {a.get_attribute("href").rsplit("/", 1)[1]
             for a in page.locator('[data-table="incidents"] li a').all()}
    assert hijackings & found
    shot(page, "search-hijacking-1280")
    # The table's own search stems too.
    goto(page, "/brcd/incidents?_search=hijacked")
    assert set(page.locator("td.col-incident_id").all_inner_texts()) & hijackings
    assert outside_requests == []


def test_a_search_with_no_match_says_so(page):
    goto(page, "/-/search?q=qqqnotawordqqq")
    expect(page.locator(".brcd-no-results")).to_contain_text("qqqnotawordqqq")


# ---- the map --------------------------------------------------------------------------------------

def map_ready(page):
    expect(page.locator("#brcd-map[data-ready='1']")).to_have_count(1, timeout=15_000)


@pytest.mark.parametrize("table", ["incidents", "minerals"])
def test_map_counts_rows_without_a_point_and_zooms_past_6(page, rows, table, outside_requests):
    located = [r for r in rows[table] if r["latitude"] and r["longitude"]]
    goto(page, f"/brcd/{table}")
    map_ready(page)
    node = page.locator("#brcd-map")
    node.scroll_into_view_if_needed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    node.screenshot(path=str(SHOTS / f"map-{table}-1280.png"))
    assert int(node.get_attribute("data-without-point")) == len(rows[table]) - len(located)
    note = page.locator("#brcd-map-note")
    expect(note).to_contain_text(f"{len(located)} row")
    expect(note).to_contain_text("without a point")
    expect(node.locator(".leaflet-marker-icon")).to_have_count(len(located))
    zoom_in = node.locator(".leaflet-control-zoom-in")
    while page.evaluate("document.getElementById('brcd-map').brcdLeafletMap.getZoom()") < 8:
        zoom_in.click()
        page.wait_for_timeout(300)
    assert page.evaluate("document.getElementById('brcd-map').brcdLeafletMap.getZoom()") >= 8
    page.wait_for_load_state("networkidle")
    # Zoom-6 tiles scaled up: the map is not grey at district scale.
    assert node.locator("img.leaflet-tile-loaded").count() > 0
    node.screenshot(path=str(SHOTS / f"map-{table}-zoom8-1280.png"))
    assert outside_requests == []


def test_map_popup_has_title_date_deaths_and_a_link_that_cannot_run_script(page, rows, site_facts):
    located = [r for r in rows["incidents"] if r["latitude"] and r["longitude"]]
    if not located:
        pytest.skip("no incident has a point of its own")
    goto(page, "/brcd/incidents")
    map_ready(page)
    markers = page.locator("#brcd-map .leaflet-marker-icon")
    for i in range(markers.count()):
        page.evaluate("document.getElementById('brcd-map').brcdLeafletMap.closePopup()")
        markers.nth(i).click(force=True)
        popup = page.locator(".leaflet-popup-content .brcd-popup")
        expect(popup).to_have_count(1)
        expect(popup).to_be_visible()
        link = popup.locator("strong a")
        href = link.get_attribute("href")
        assert re.fullmatch(r"/brcd/incidents/[A-Za-z0-9~._-]+", href), href
        expect(popup).to_contain_text("Deaths (best estimate):")
        incident = next(r for r in located if href.endswith(r["incident_id"]))
        expect(popup).to_contain_text(incident["event_date"])
        expect(link).to_have_text(incident["location"])  # as text, `javascript:` and markup included
    assert page.evaluate(f"typeof window.{XSS_MARK}") == "undefined"


# ---- charts ---------------------------------------------------------------------------------------

def test_charts_are_drawn_with_their_data_points(page, outside_requests):
    goto(page, "/-/charts")
    for name in ("deaths-by-month", "claims-vs-estimates", "financing"):
        chart = page.locator(f'.brcd-chart[data-chart="{name}"]')
        expect(chart).to_have_attribute("data-drawn", "1", timeout=15_000)
        data = page.request.get(f"/-/charts/{name}.json").json()
        assert int(chart.get_attribute("data-points")) == len(data["spec"]["data"]["values"]) > 0
        assert chart.locator("svg .mark-symbol path, svg .mark-rect path, svg .mark-line path").count() > 0
    # one point per month with a known best estimate
    deaths = page.request.get("/-/charts/deaths-by-month.json").json()["spec"]["data"]["values"]
    best = [v for v in deaths if v["series"].startswith("All deaths") and v["deaths"] is not None]
    points = page.locator('.brcd-chart[data-chart="deaths-by-month"] svg .mark-symbol path')
    assert points.count() >= len(best)
    shot(page, "charts-1280")
    assert page.evaluate(f"typeof window.{XSS_MARK}") == "undefined"
    assert outside_requests == []


def test_deaths_chart_treats_empty_figures_as_unknown(page, rows):
    data = page.request.get("/-/charts/deaths-by-month.json").json()
    values = [v for v in data["spec"]["data"]["values"] if v["series"].startswith("All deaths")]
    months: dict[str, list[str]] = {}
    for r in rows["incidents"]:
        if not r["parent_incident_id"]:
            months.setdefault(r["event_date"][:7], []).append(r["fatalities_best"])
    for v in values:
        figures = months.get(v["month"], [])
        if figures and not any(figures):
            assert v["deaths"] is None, v


# ---- stored queries -------------------------------------------------------------------------------

def test_stored_query_page_has_a_human_title_and_pickers(page, rows):
    goto(page, "/brcd/site_timeline")
    assert "select" not in page.title().lower()
    assert "timeline" in page.title().lower()
    picker = page.locator('select[name="site_id"]')
    values = set(picker.locator("option").evaluate_all("os => os.map(o => o.value)")) - {""}
    assert values == {r["site_id"] for r in rows["minerals"]}
    expect(page.locator(".brcd-query-message")).to_contain_text("Choose")
    expect(page.locator("pre#sql-query")).to_have_count(0)  # the SQL is one click away
    site = rows["minerals"][0]
    picker.select_option(site["site_id"])
    page.locator('form.sql input[type="submit"]').click()
    page.wait_for_url(re.compile(r"site_id="))
    expect(page.locator(".brcd-query-message")).to_have_count(0)


def test_an_unknown_id_says_so(page):
    goto(page, "/brcd/site_timeline?site_id=BAL-MIN-NOPE")
    expect(page.locator(".brcd-query-message")).to_contain_text("BAL-MIN-NOPE")
    expect(page.locator(".brcd-query-message")).to_contain_text("pick one from the list")


# ---- accessibility --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/brcd/incidents", "record:incidents", "record:organizations", "/-/charts"])
def test_no_serious_accessibility_violations(page, rows, path):
    from axe_playwright_python.sync_playwright import Axe

    if path.startswith("record:"):
        table = path.split(":", 1)[1]
        path = f"/brcd/{table}/{sample_id(rows, table)}"
    goto(page, path)
    if path == "/-/charts":
        expect(page.locator('.brcd-chart[data-drawn="1"]').first).to_be_visible(timeout=15_000)
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in bad]


# ---- security headers and links, in the browser -----------------------------------------------------

def test_every_page_sends_the_security_headers(page, rows):
    for path in ("/", "/brcd/incidents", f"/brcd/incidents/{rows['incidents'][0]['incident_id']}", "/-/charts",
                 "/brcd/incidents.json", "/-/search?q=x"):
        headers = goto(page, path).all_headers()
        policy = headers["content-security-policy"]
        assert "script-src 'self' 'nonce-" in policy and "frame-ancestors 'none'" in policy, path
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY", path


def test_the_policy_blocks_a_script_without_the_nonce(page):
    goto(page, "/")
    directive = page.evaluate("""() => new Promise(resolve => {
        document.addEventListener('securitypolicyviolation', e => resolve(e.effectiveDirective));
        const s = document.createElement('script');
        s.textContent = 'window.__brcdCspTest = 1';
        document.body.appendChild(s);
        setTimeout(() => resolve(null), 3000);
    })""")
    assert directive in ("script-src-elem", "script-src")
    assert page.evaluate("typeof window.__brcdCspTest") == "undefined"


def test_the_site_cannot_be_framed(page, live_server):
    page.set_content(f'<iframe id="f" src="{live_server.url}/" width="600" height="400"></iframe>')
    page.wait_for_timeout(1500)
    framed = [f for f in page.frames if f is not page.main_frame]
    assert framed
    for frame in framed:
        try:
            text = frame.evaluate("document.body ? document.body.innerText : ''")
        except Exception:  # an error page of another origin cannot be read: blocked
            text = ""
        assert "How to cite" not in text


def test_no_link_on_any_page_runs_script(page, rows, site_facts):
    paths = ["/", "/brcd/incidents", "/brcd/sources", "/-/charts", "/-/search?q=jaffar",
             "/brcd?sql=select+'javascript:alert(1)'+as+link,+30.2+as+latitude,+67.0+as+longitude",
             f"/brcd/incidents/{site_facts['script_incident_id']}"]
    if site_facts.get("javascript_incident_id"):
        paths.append(f"/brcd/incidents/{site_facts['javascript_incident_id']}")
    for path in paths:
        goto(page, path)
        hrefs = page.locator("a[href]").evaluate_all("as => as.map(a => a.getAttribute('href'))")
        bad = [h for h in hrefs if not re.match(r"^(https?://|/|\?|#)", h.strip())]
        assert bad == [], (path, bad)
        assert page.evaluate(f"typeof window.{XSS_MARK}") == "undefined", path
    # the package's `javascript:` homepage is shown nowhere as a link
    goto(page, "/")
    expect(page.locator('a[href^="javascript" i]')).to_have_count(0)


def test_markup_in_labels_and_titles_is_shown_as_text(page, rows):
    row = next(r for r in rows["incidents"] if r["perpetrator_attribution"] == "self_claimed" and r["admin3"])
    goto(page, f"/brcd/incidents/{row['incident_id']}")
    expect(page.locator(".brcd-field-perpetrator_attribution dd")).to_contain_text(f"<script>window.{XSS_MARK}=5</script>")
    expect(page.locator(".brcd-field-admin3 dt")).to_contain_text(f"<script>window.{XSS_MARK}=8</script>")
    goto(page, "/brcd/incidents")
    expect(page.locator('.facet-info[data-column="perpetrator_attribution"]')).to_contain_text("<script>")
    assert page.evaluate(f"typeof window.{XSS_MARK}") == "undefined"


# ---- screenshots a reader would look at -------------------------------------------------------------

@pytest.mark.parametrize("width", [WIDE, NARROW])
def test_home_page_screenshot(page, width, outside_requests):
    goto(page, "/", width)
    expect(page.locator("#brcd-q")).to_be_visible()
    assert sideways(page) == []
    shot(page, f"home-{width}")
    assert outside_requests == []
