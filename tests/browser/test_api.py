"""The site's JSON API on a live `brcd serve` (no browser): rows, search, facets, labels,
stored queries, generated metadata, downloads, escaping and refused writes.

Expected values are computed from the served package's CSVs with the csv module, not from the
database, so the build and the site are checked against the source of truth.
"""

from __future__ import annotations

import collections
import json

import httpx
import pytest

from sitekit import SEARCH_TOKEN, XSS_MARK, read_rows


@pytest.fixture(scope="module")
def api(live_server):
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def incidents(site_root):
    return read_rows(site_root / "tables" / "incidents.csv")


def test_incidents_json_array_returns_every_row(api, incidents):
    r = api.get("/brcd/incidents.json", params={"_shape": "array", "_size": "max"})
    assert r.status_code == 200
    rows = r.json()
    assert isinstance(rows, list)
    assert sorted(row["incident_id"] for row in rows) == sorted(row["incident_id"] for row in incidents)
    by_id = {row["incident_id"]: row for row in rows}
    for src in incidents:
        assert by_id[src["incident_id"]]["event_date"] == src["event_date"]
        best = src["fatalities_best"]  # empty: no source reports a figure (null, never 0)
        assert by_id[src["incident_id"]]["fatalities_best"] == (int(best) if best else None)


def test_default_sort_is_newest_first(api, incidents):
    rows = api.get("/brcd/incidents.json", params={"_shape": "array", "_size": "max"}).json()
    dates = [row["event_date"] for row in rows]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == max(row["event_date"] for row in incidents)


def test_search_finds_the_row_with_the_word(api, site_facts):
    r = api.get("/brcd/incidents.json", params={"_search": SEARCH_TOKEN, "_shape": "array"})
    assert r.status_code == 200
    assert [row["incident_id"] for row in r.json()] == [site_facts["script_incident_id"]]
    assert api.get("/brcd/incidents.json", params={"_search": "qqqnotawordqqq", "_shape": "array"}).json() == []


@pytest.mark.parametrize("column", ["event_type", "district_id", "actor1_id", "perpetrator_attribution"])
def test_configured_facets_count_like_the_csv(api, incidents, column):
    data = api.get("/brcd/incidents.json").json()
    facet = data["facet_results"][column]
    expected = collections.Counter(row[column] for row in incidents if row[column])
    got = {item["value"]: item["count"] for item in facet["results"]}
    assert all(expected[value] == count for value, count in got.items())
    # the biggest counts are shown (values tied on a count may come in either order)
    assert sorted(got.values(), reverse=True) == [count for _, count in expected.most_common(len(got))]
    assert sum(expected.values()) >= sum(got.values())


def test_year_facet_counts_and_filters(api, incidents):
    data = api.get("/brcd/incidents.json").json()
    facet = data["facet_results"]["event_date"]
    assert facet["type"] == "year"
    expected = collections.Counter(row["event_date"][:4] for row in incidents)
    assert {item["value"]: item["count"] for item in facet["results"]} == dict(expected)
    year, count = expected.most_common(1)[0]
    rows = api.get("/brcd/incidents.json", params={"event_date__startswith": year, "_shape": "array",
                                                   "_size": "max"}).json()
    assert len(rows) == count and all(row["event_date"].startswith(year) for row in rows)


def test_facet_filter_narrows_rows(api, incidents):
    value, count = collections.Counter(row["event_type"] for row in incidents).most_common(1)[0]
    data = api.get("/brcd/incidents.json", params={"event_type": value}).json()
    assert data["filtered_table_rows_count"] == count


def test_labels_expand_foreign_keys_to_names(api, site_root, incidents):
    names = {row["org_id"]: row["name"] for row in read_rows(site_root / "tables" / "organizations.csv")}
    rows = api.get("/brcd/incidents.json", params={"_labels": "on", "_shape": "array", "_size": "max"}).json()
    assert rows
    for row in rows:
        actor = row["actor1_id"]
        assert actor == {"value": actor["value"], "label": names[actor["value"]]}


def test_organization_row_links_its_incidents_statements_and_deals(api, incidents):
    org = collections.Counter(row["actor1_id"] for row in incidents).most_common(1)[0][0]
    r = api.get(f"/brcd/organizations/{org}.json", params={"_extras": "foreign_key_tables"})
    assert r.status_code == 200
    links = {(t["other_table"], t["other_column"]): t["count"] for t in r.json()["foreign_key_tables"]}
    assert links[("incidents", "actor1_id")] == sum(1 for row in incidents if row["actor1_id"] == org)
    assert ("statements", "speaker_org_id") in links and ("financing", "financier_id") in links


def test_stored_query_runs_with_a_parameter(api, incidents):
    district = collections.Counter(row["district_id"] for row in incidents if row["district_id"]).most_common(1)[0][0]
    r = api.get("/brcd/site_incidents_in_district.json",
                params={"district_id": district, "min_deaths": 0, "_shape": "array"})
    assert r.status_code == 200
    # an incident whose toll no source reports (empty best) has no "at least 0 deaths"
    expected = sorted(row["incident_id"] for row in incidents if row["district_id"] == district and row["fatalities_best"])
    assert sorted(row["incident_id"] for row in r.json()) == expected


def test_every_stored_query_with_a_sqlite_form_is_published(api, site_root):
    from brcd.query.named import load_queries

    expected = {q.name: q for q in load_queries(site_root) if q.sqlite_sql}
    published = {q["name"]: q for q in api.get("/brcd.json").json()["queries"]}
    assert set(published) == set(expected)
    for name, q in expected.items():
        assert published[name]["title"] == q.title
        assert q.description in published[name]["description"]
        assert published[name].get("params", []) == [p.name for p in q.params]


def test_every_stored_query_runs_with_its_defaults(api, site_root):
    from brcd.query.named import load_queries

    meta = api.get("/-/metadata.json").json()["databases"]["brcd"]["queries"]
    for q in load_queries(site_root):
        if not q.sqlite_sql:
            continue
        params = dict(meta[q.name].get("brcd_defaults") or {})
        params.update({p.name: "x" for p in q.params if p.required})
        r = api.get(f"/brcd/{q.name}.json", params={**params, "_shape": "array"})
        assert r.status_code == 200, (q.name, r.text[:300])
        assert isinstance(r.json(), list)


def test_metadata_is_generated_from_the_package(api, site_root):
    from brcd.package import load_package

    package = load_package(site_root)
    meta = api.get("/-/metadata.json").json()
    assert meta["title"] == package.descriptor["title"]
    assert meta["brcd"]["version"] == package.version
    assert meta["license_url"] == package.descriptor["licenses"][0]["path"]
    tables = meta["databases"]["brcd"]["tables"]
    for res in package.resources:
        assert tables[res.name]["description"] == res.descriptor["description"]
        for fld in res.fields:
            text = tables[res.name]["columns"][fld["name"]]
            assert fld["description"] in text
            if fld.get("unit"):
                assert "Unit:" in text


def test_home_page_shows_version_counts_and_citation(api, site_root):
    from brcd.package import load_package

    package = load_package(site_root)
    html = api.get("/").text
    assert f'<strong id="brcd-version">{package.version}</strong>' in html
    for res in package.resources:
        count = len(read_rows(res.path))
        assert f'<tr data-table="{res.name}">' in html
        assert f'<td class="num brcd-count">{count:,}</td>' in html
    assert 'id="brcd-citation"' in html and package.version in html
    assert ">basemap<" not in html
    latest = max(r["last_updated"] for res in package.resources if "last_updated" in res.field_names
                 for r in read_rows(res.path))
    assert f'<strong id="brcd-as-of">{latest}</strong>' in html


@pytest.mark.parametrize("path", ["/datapackage.json", "/tables/incidents.csv", "/schemas/incidents.schema.json"])
def test_package_files_download_byte_for_byte(api, site_root, path):
    r = api.get(path)
    assert r.status_code == 200
    assert r.content == (site_root / path.lstrip("/")).read_bytes()


@pytest.mark.parametrize("path", ["/tables/secret.csv", "/schemas/evil.json", "/tables/.gitignore"])
def test_only_package_files_are_served(api, path):
    assert api.get(path).status_code == 404


def test_home_page_offers_the_release_and_serves_only_its_listed_files(api, site_facts):
    name = site_facts["release_name"]
    home = api.get("/").text
    assert f'href="/releases/{name}"' in home and 'href="/releases/SHA256SUMS"' in home
    r = api.get(f"/releases/{name}")
    assert r.status_code == 200 and r.content == site_facts["release_bytes"]
    assert name in api.get("/releases/SHA256SUMS").text
    assert api.get("/releases/unlisted.txt").status_code == 404
    assert api.get("/releases/brcd-9.9.9.zip").status_code == 404


def test_sqlite_download_is_the_database(api):
    r = api.get("/brcd.db")
    assert r.status_code == 200 and r.content[:16] == b"SQLite format 3\x00"


def test_injected_script_is_escaped(api, site_facts):
    html = api.get(f"/brcd/incidents/{site_facts['script_incident_id']}").text
    assert f"window.{XSS_MARK}=1</script>" not in html
    assert f"&lt;script&gt;window.{XSS_MARK}=1&lt;/script&gt;" in html
    home = api.get("/").text
    assert f"<script>window.{XSS_MARK}=3" not in home and f"&lt;script&gt;window.{XSS_MARK}=3" in home
    table = api.get("/brcd/incidents").text
    assert f"<script>window.{XSS_MARK}=4" not in table


WRITES = [
    "insert into incidents (incident_id) values ('BAL-INC-2099-0001')",
    "update incidents set fatalities_best = 0",
    "delete from incidents",
    "drop table incidents",
    "create table evil (x)",
    "pragma user_version = 7",
    "attach database '/tmp/brcd-evil.db' as evil",
    "with x as (select 1) insert into incidents (incident_id) select 'BAL-INC-2099-0002' from x",
    "select 1; delete from incidents",
    "vacuum",
]


@pytest.mark.parametrize("sql", WRITES)
def test_writes_are_refused(api, incidents, sql):
    r = api.get("/brcd.json", params={"sql": sql, "_shape": "array"})
    assert r.status_code >= 400
    assert r.json().get("ok") is False
    count = api.get("/brcd.json", params={"sql": "select count(*) as n from incidents", "_shape": "array"}).json()
    assert count == [{"n": len(incidents)}]


def test_post_is_refused(api):
    for path in ("/brcd/incidents", "/brcd", "/brcd/site_incidents_in_district"):
        r = api.post(path, data={"incident_id": "BAL-INC-2099-0003"})
        assert r.status_code == 405, path


def test_settings_are_fast_and_safe(api):
    settings = api.get("/-/settings.json").json()
    assert settings["suggest_facets"] is False
    assert settings["sql_time_limit_ms"] <= 5000
    assert settings["max_returned_rows"] <= 5000
    assert all(not db["is_mutable"] for db in api.get("/-/databases.json").json())


def test_map_tiles_are_served_locally(api):
    meta = api.get("/-/metadata.json").json()
    layer = meta["plugins"]["brcd-site"]["tiles"]["url"]
    assert layer.startswith("/-/tiles/")
    r = api.get(layer.format(z=0, x=0, y=0))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"


def test_home_page_states_what_share_of_each_published_yearly_toll_it_holds(api, site_root, incidents):
    """Issue 14: the home page says how many of the deaths a monitor counts in a year BRCD holds.
    The expected sums are counted here from the CSVs: each event once (stand-alone rows and wave
    parents, never the parts), in Balochistan (a district, or a wave parent), within the period,
    and without events begun by state forces when the total counts militant attacks only."""
    import html
    import re

    totals = read_rows(site_root / "tables" / "published_totals.csv")
    names = {r["org_id"]: r["short_name"] or r["name"] for r in read_rows(site_root / "tables" / "organizations.csv")}
    version = json.loads((site_root / "datapackage.json").read_text(encoding="utf-8"))["version"]
    page = html.unescape(re.sub(r"<[^>]+>", "", api.get("/").text))
    page = " ".join(page.split())
    yearly = [t for t in totals if t["measure"] == "deaths" and t["area"] == "Balochistan" and not t["actor_id"]
              and t["period_start"][5:] == "01-01" and t["period_end"][5:] == "12-31"
              and t["period_start"][:4] == t["period_end"][:4]]
    assert yearly, "the package has no yearly death toll to measure coverage against"
    for t in yearly:
        events = [i for i in incidents if not i["parent_incident_id"]
                  and t["period_start"] <= i["event_date"] <= t["period_end"]
                  and (i["district_id"] or i["is_parent"] == "true")
                  and (t["scope"] != "militant_attacks" or i["actor1_type"] != "State forces")]
        recorded = sum(int(i["fatalities_best"]) for i in events if i["fatalities_best"])
        sentence = (f"BRCD {version} records {recorded:,} of the {int(t['value']):,} deaths that "
                    f"{names[t['publisher_id']]} counts in Balochistan in {t['period_start'][:4]} "
                    f"({len(events)} events, each counted once).")
        assert sentence in page


def test_the_same_address_asked_twice_is_the_same_with_its_own_nonce(api, incidents):
    """The second answer comes from the site's response cache (brcd.site.responses): the same
    bytes, but its own Content-Security-Policy nonce, which a page's scripts carry too."""
    params = {"_shape": "array", "district_id": next(r["district_id"] for r in incidents if r["district_id"])}
    first, second = (api.get("/brcd/incidents.json", params=params) for _ in range(2))
    assert first.status_code == second.status_code == 200 and first.content == second.content
    assert first.headers["content-security-policy"] != second.headers["content-security-policy"]
    assert second.headers["x-content-type-options"] == "nosniff"
    pages = [api.get("/brcd/incidents") for _ in range(2)]
    nonces = [p.text.split('nonce="', 1)[1].split('"', 1)[0] for p in pages if 'nonce="' in p.text]
    assert len(nonces) == 2 and nonces[0] != nonces[1]
    for page, nonce in zip(pages, nonces):
        assert f"'nonce-{nonce}'" in page.headers["content-security-policy"]
        assert page.text.count(nonce) == page.text.count('nonce="')
