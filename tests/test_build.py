"""`brcd build`: the SQLite layout Datasette relies on, the DuckDB file, Parquet types,
reproducible bytes, skipping unchanged inputs, refusing invalid packages, atomic outputs."""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from brcd.release.build import BuildResult, build, inputs_digest
from brcd.errors import BrcdError
from brcd.edit.hash import update_hashes
from brcd.package import load_package


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    from pkgcopy import copy_package

    descriptor = copy_package(tmp_path_factory.mktemp("pkg"))
    return descriptor, build(descriptor, tmp_path_factory.mktemp("dist"))


def csv_rows(descriptor: Path, table: str) -> list[dict[str, str]]:
    with (descriptor.parent / "tables" / f"{table}.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def query(db: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_sqlite_has_one_typed_table_per_resource_with_keys(built) -> None:
    descriptor, result = built
    pkg = load_package(descriptor)
    for res in pkg.resources:
        cols = {name: (ctype, pk) for _cid, name, ctype, _nn, _d, pk in query(result.sqlite, f'PRAGMA table_info("{res.name}")')}
        assert list(cols) == res.field_names
        assert [n for n, (_t, pk) in cols.items() if pk] == res.primary_key
        assert query(result.sqlite, f'SELECT count(*) FROM "{res.name}"')[0][0] == len(csv_rows(descriptor, res.name))
    assert query(result.sqlite, 'PRAGMA table_info("incidents")')[3][1:3] == ("event_date", "TEXT")
    assert dict((r[1], r[2]) for r in query(result.sqlite, 'PRAGMA table_info("incidents")'))["fatalities_best"] == "INTEGER"
    fks = {(r[3], r[2]) for r in query(result.sqlite, 'PRAGMA foreign_key_list("incidents")')}
    assert {("actor1_id", "organizations"), ("district_id", "districts"), ("parent_incident_id", "incidents")} <= fks


def test_values_follow_sqlite_conventions(built) -> None:
    descriptor, result = built
    first = csv_rows(descriptor, "incidents")[0]
    row = query(result.sqlite, f"SELECT is_parent, event_date, fatalities_best, typeof(fatalities_best), admin3 "
                               f"FROM incidents WHERE incident_id = '{first['incident_id']}'")[0]
    assert row[0] == (1 if first["is_parent"] == "true" else 0)
    assert row[1] == first["event_date"]
    assert row[2] == int(first["fatalities_best"]) and row[3] == "integer"
    assert row[4] == (first["admin3"] or None)  # empty cells are NULL


def test_link_tables_hold_every_listed_id(built) -> None:
    descriptor, result = built
    expected = sorted(((r["incident_id"], s, i + 1) for r in csv_rows(descriptor, "incidents")
                       for i, s in enumerate(r["source_ids"].split(";")) if s), key=lambda t: (t[0], t[2]))
    assert query(result.sqlite, "SELECT incident_id, source_id, position FROM incident_sources ORDER BY 1, 3") == expected
    contradictions = sorted((r["statement_id"], s) for r in csv_rows(descriptor, "statements")
                            for s in r["contradicted_by_ids"].split(";") if s)
    assert query(result.sqlite, "SELECT statement_id, contradicted_by_id FROM statement_contradictions ORDER BY 1, 2") == contradictions
    fks = {(r[3], r[2]) for r in query(result.sqlite, 'PRAGMA foreign_key_list("incident_sources")')}
    assert fks == {("incident_id", "incidents"), ("source_id", "sources")}


def test_indexes_on_keys_and_facets_and_fts_datasette_detects(built) -> None:
    from datasette.utils import detect_fts

    _descriptor, result = built
    leading = {r[0] for r in query(result.sqlite, "SELECT il.name FROM sqlite_master m, pragma_index_info(m.name) il "
                                                   "WHERE m.type = 'index' AND m.tbl_name = 'incidents' AND il.seqno = 0")}
    for column in ("district_id", "actor1_id", "event_date", "event_type", "parent_incident_id"):
        assert column in leading, column
    plan = query(result.sqlite, "EXPLAIN QUERY PLAN SELECT * FROM incidents WHERE district_id = 'PK221' ORDER BY event_date DESC LIMIT 51")
    assert "USING INDEX" in str(plan) and "TEMP B-TREE" not in str(plan)  # filtered and sorted by one index
    con = sqlite3.connect(result.sqlite)
    try:
        assert detect_fts(con, "incidents") == "incidents_fts"
        assert detect_fts(con, "statements") == "statements_fts"
        hits = con.execute("SELECT count(*) FROM incidents_fts WHERE incidents_fts MATCH 'passengers'").fetchone()[0]
        expected = sum("passengers" in (r["description"] + " " + r["notes"]).lower() for r in csv_rows(_descriptor, "incidents"))
        assert hits == expected > 0
    finally:
        con.close()


def test_fts_indexes_match_their_content_tables_and_file_is_sound(built, tmp_path: Path) -> None:
    """The FTS5 indexes are built in a second file and copied in as shadow-table rows; FTS5's
    own check (rank 1: against the content table) proves they index exactly the rows here."""
    import shutil

    import adbc_driver_sqlite.dbapi as adbc

    _descriptor, result = built
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(result.sqlite, copy)
    names = [r[0] for r in query(copy, "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%fts5%'")]
    assert "incidents_fts" in names and "sources_fts" in names
    con = adbc.connect(str(copy), autocommit=True)  # the driver's SQLite, the one that wrote the file
    cur = con.cursor()
    try:
        for name in names:
            cur.execute(f"INSERT INTO \"{name}\" (\"{name}\", rank) VALUES ('integrity-check', 1)")
        cur.execute("PRAGMA integrity_check")
        assert cur.fetchall() == [("ok",)]
    finally:
        cur.close()
        con.close()
    assert query(result.sqlite, "SELECT count(*) FROM sqlite_master WHERE name = 'side'") == [(0,)]
    assert not list(result.sqlite.parent.glob(".brcd-sqlite-*"))  # the side file is gone


def test_metadata_records_version_and_inputs_digest(built) -> None:
    descriptor, result = built
    meta = dict(query(result.sqlite, "SELECT key, value FROM brcd_metadata"))
    pkg = load_package(descriptor)
    assert meta["version"] == pkg.version and meta["name"] == pkg.name and meta["title"] == pkg.descriptor["title"]
    assert meta["inputs_digest"] == inputs_digest(descriptor)
    import duckdb

    con = duckdb.connect(str(result.duckdb), read_only=True)
    try:
        assert dict(con.execute("SELECT key, value FROM brcd_metadata").fetchall()) == meta
        types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'incidents'").fetchall())
        assert (types["event_date"], types["is_parent"], types["fatalities_best"], types["latitude"]) == ("DATE", "BOOLEAN", "BIGINT", "DOUBLE")
        assert con.execute("SELECT count(*) FROM incident_sources").fetchone()[0] == query(result.sqlite, "SELECT count(*) FROM incident_sources")[0][0]
    finally:
        con.close()


def test_parquet_reads_back_with_the_schema_types(built) -> None:
    import duckdb
    import pandas as pd

    descriptor, result = built
    path = result.parquet("incidents")
    con = duckdb.connect()
    types = dict((r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM '{path}'").fetchall())
    assert (types["event_date"], types["is_parent"], types["fatalities_best"], types["longitude"], types["incident_id"]) == (
        "DATE", "BOOLEAN", "BIGINT", "DOUBLE", "VARCHAR")
    # pandas' nullable dtypes keep an unknown count empty (NA) instead of turning the column to floats
    frame = pd.read_parquet(path, dtype_backend="numpy_nullable")
    assert len(frame) == len(csv_rows(descriptor, "incidents"))
    assert frame["is_parent"].dtype == "boolean"
    assert frame["fatalities_best"].dtype == "Int64"
    assert frame["latitude"].dtype == "Float64"
    assert str(frame["event_date"].iloc[0]) == csv_rows(descriptor, "incidents")[0]["event_date"][:10]
    assert list(frame.columns) == load_package(descriptor).resource("incidents").field_names


def test_the_sqlite_file_opens_in_datasette(built) -> None:
    from datasette.app import Datasette

    _descriptor, result = built

    async def fetch() -> tuple[dict, dict]:
        ds = Datasette([str(result.sqlite)], immutables=[])
        search = await ds.client.get("/brcd/incidents.json?_search=passengers&_shape=objects")
        labels = await ds.client.get("/brcd/incidents.json?_labels=on&_shape=objects&_size=1&district_id__notblank=1")
        return search.json(), labels.json()

    # A fresh thread: Playwright's sync API (browser tests in the same session) keeps an event
    # loop running in the main thread, where asyncio.run() is refused.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        search, labels = pool.submit(asyncio.run, fetch()).result()
    assert search["rows"] and all("passengers" in (r["description"] + (r["notes"] or "")).lower() for r in search["rows"])
    district = labels["rows"][0]["district_id"]
    assert isinstance(district, dict) and district["value"] and district["label"]


def test_same_inputs_give_the_same_bytes(built, tmp_path: Path) -> None:
    descriptor, first = built
    second = build(descriptor, tmp_path / "again", force=True)
    # brcd.duckdb is not compared: DuckDB rewrites the same table with other bytes at scale.
    for a, b in [(first.sqlite, second.sqlite)] + [
            (first.parquet(n), second.parquet(n)) for n in load_package(descriptor).resource_names]:
        assert a.read_bytes() == b.read_bytes(), a.name


def test_unchanged_inputs_skip_the_build_and_a_change_rebuilds(package_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    assert build(package_copy, out).skipped is False
    assert build(package_copy, out).skipped is True
    table = package_copy.parent / "tables" / "sources.csv"
    table.write_text(table.read_text(encoding="utf-8").replace("Dawn", "DAWN", 1), encoding="utf-8")
    update_hashes(load_package(package_copy))
    result = build(package_copy, out)
    assert result.skipped is False
    assert dict(query(result.sqlite, "SELECT key, value FROM brcd_metadata"))["inputs_digest"] == inputs_digest(package_copy)


def test_an_invalid_package_is_refused_with_its_summary(package_copy: Path, tmp_path: Path) -> None:
    table = package_copy.parent / "tables" / "minerals.csv"
    table.write_text(table.read_text(encoding="utf-8").replace("site_id", "site_identifier", 1), encoding="utf-8")
    with pytest.raises(BrcdError) as err:
        build(package_copy, tmp_path / "dist")
    assert err.value.code == "invalid-package" and err.value.exit_code == 1
    assert not (tmp_path / "dist" / "brcd.sqlite").exists()
    proc = subprocess.run([sys.executable, "-m", "brcd", "build", str(package_copy), "--out", str(tmp_path / "d2")],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "error[invalid-package]" in proc.stderr and "minerals" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_interrupted_build_leaves_the_previous_files(package_copy: Path, tmp_path: Path, monkeypatch) -> None:
    from brcd.release import sqlite_db

    out = tmp_path / "dist"
    before = build(package_copy, out)
    old_bytes = before.sqlite.read_bytes()

    def crash(path: Path, *args, **kwargs) -> None:
        path.write_bytes(b"half a database")
        raise KeyboardInterrupt

    monkeypatch.setattr(sqlite_db, "write_sqlite", crash)
    with pytest.raises(KeyboardInterrupt):
        build(package_copy, out, force=True)
    assert before.sqlite.read_bytes() == old_bytes
    assert sorted(p.name for p in out.iterdir()) == ["brcd.duckdb", "brcd.sqlite", "parquet"]


def test_cli_builds_then_says_up_to_date(package_copy: Path, tmp_path: Path) -> None:
    args = [sys.executable, "-m", "brcd", "build", str(package_copy), "--out", str(tmp_path / "dist")]
    first = subprocess.run(args, capture_output=True, text=True)
    assert first.returncode == 0 and "built" in first.stdout, first.stderr
    second = subprocess.run(args, capture_output=True, text=True)
    assert second.returncode == 0 and "up to date" in second.stdout
    assert (tmp_path / "dist" / "brcd.sqlite").stat().st_mode & 0o777 == 0o644  # readable by a server's user
    assert json.loads(json.dumps(str(tmp_path)))  # paths are plain text
