"""Synthetic BRCD packages for benchmarks and scale tests.

`write_package(dest, n_incidents, seed=0, inject_errors=False)` copies the real schemas,
descriptor and the other tables of the repository into `dest`, then writes `n_incidents`
synthetic rows of `tables/incidents.csv` that are valid against the real schema: ids, dates,
enums, coordinates inside Balochistan and near their district's point, fatalities with
low <= best <= high and parts <= total, `source_ids` pointing at real rows of sources.csv and
foreign keys to real organizations, districts and mineral sites. Generation is vectorised
(numpy + polars): a million rows take a few seconds.

With `inject_errors=True` it also writes known defects and returns them as
`{"code", "resource", "line", "field"}` dicts with their exact physical line (the header is
line 1; a few valid descriptions hold a quoted newline, so lines and rows drift apart, and a
blank line is inserted). In the copy, statements' `related_incident_id` is blanked (the real
statements point at real incidents, which the synthetic table does not hold) and the
descriptor's `bytes`/`hash` are recomputed for every written file.

Usage: python tests/benchmarks/synth.py DEST N [--errors]
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[2]

ACLED_EVENTS = [
    ("Battles", "Armed clash"), ("Battles", "Government regains territory"),
    ("Explosions/Remote violence", "Remote explosive/landmine/IED"), ("Explosions/Remote violence", "Suicide bomb"),
    ("Explosions/Remote violence", "Grenade"), ("Explosions/Remote violence", "Shelling/artillery/missile attack"),
    ("Violence against civilians", "Attack"), ("Violence against civilians", "Abduction/forced disappearance"),
    ("Protests", "Peaceful protest"), ("Protests", "Protest with intervention"), ("Riots", "Mob violence"),
    ("Strategic developments", "Arrests"), ("Strategic developments", "Looting/property destruction"),
]
START = np.datetime64("1990-01-01")
LAST_DAY = np.datetime64("2025-12-31")
JITTER_DEG = 0.02  # ~2 km around the district's point
PARENT_EVERY = 50  # row k*50 is a parent of the CHILDREN rows after it
CHILDREN = 3
REPORTED_BASES = ["official", "media_tally", "group_claim", "hospital"]


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _enum(schema: dict, name: str) -> list[str]:
    for f in schema["fields"]:
        if f["name"] == name:
            return list(f["constraints"]["enum"])
    raise KeyError(name)


def _pick(rng: np.random.Generator, values: list[str], n: int, empty_share: float = 0.0) -> pl.Series:
    """n values drawn from `values`, an `empty_share` of them empty ("")."""
    idx = rng.integers(0, len(values), n)
    if empty_share:
        idx = np.where(rng.random(n) < empty_share, len(values), idx)
    return pl.Series(values + [""], dtype=pl.Utf8).gather(idx)


def _text(a: np.ndarray, mask: np.ndarray | None = None) -> pl.Series:
    """Numbers (or dates) as strings; "" where `mask` is False."""
    s = pl.Series(a).cast(pl.Utf8)
    if mask is not None:
        s = pl.select(pl.when(pl.Series(mask)).then(s).otherwise(pl.lit(""))).to_series()
    return s


def _inside(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    import shapely
    from shapely.geometry import shape

    gj = json.loads((REPO / "scripts/brcd/data/balochistan.geojson").read_text(encoding="utf-8"))
    poly = shape(gj["features"][0]["geometry"])
    shapely.prepare(poly)
    return shapely.contains_xy(poly, xs, ys)


def _incidents(n: int, rng: np.random.Generator, schema: dict, orgs: list[str], sources: list[str],
               districts: list[dict[str, str]], sites: list[str]) -> pl.DataFrame:
    k = np.arange(n)
    incident_id = pl.select(pl.format("BAL-INC-{}-{}", pl.Series(k // 10000 + 2000).cast(pl.Utf8),
                                      pl.Series(k % 10000).cast(pl.Utf8).str.zfill(4))).to_series()
    is_parent = (k % PARENT_EVERY == 0)
    child = (k % PARENT_EVERY >= 1) & (k % PARENT_EVERY <= CHILDREN)
    parent_of = k - k % PARENT_EVERY
    parent_id = pl.select(pl.when(pl.Series(child)).then(incident_id.gather(parent_of))
                          .otherwise(pl.lit(""))).to_series()

    span = int((LAST_DAY - START).astype(int)) - 5
    start = START + rng.integers(0, span, n).astype("timedelta64[D]")
    end = start + rng.integers(0, 3, n).astype("timedelta64[D]")
    # a wave: its parts happen within the parent's span
    start = np.where(child, start[parent_of], start)
    end = np.where(child, end[parent_of], end)
    precision = np.where(end == start, 1, 2)
    updated = np.datetime64("2025-06-01") + rng.integers(0, 300, n).astype("timedelta64[D]")

    ev = rng.integers(0, len(ACLED_EVENTS), n)
    event_type = pl.Series([e for e, _ in ACLED_EVENTS]).gather(ev)
    sub_event = pl.Series([s for _, s in ACLED_EVENTS]).gather(ev)
    time_local = pl.select(pl.format("{}:{}", pl.Series(rng.integers(0, 24, n)).cast(pl.Utf8).str.zfill(2),
                                     pl.Series(rng.integers(0, 60, n)).cast(pl.Utf8).str.zfill(2))).to_series()
    has_time = rng.random(n) < 0.3

    with_point = [d for d in districts if d["latitude"] and d["longitude"]]
    all_districts = [d["district_id"] for d in districts if d["admin_level"] == "district"]
    point_d = rng.random(n) < 0.5
    d_idx = rng.integers(0, len(with_point), n)
    district_id = pl.select(pl.when(pl.Series(point_d))
                            .then(pl.Series([d["district_id"] for d in with_point]).gather(d_idx))
                            .otherwise(_pick(rng, all_districts, n))).to_series()
    lat0 = np.asarray([float(d["latitude"]) for d in with_point])[d_idx]
    lon0 = np.asarray([float(d["longitude"]) for d in with_point])[d_idx]
    lat = np.round(lat0 + rng.uniform(-JITTER_DEG, JITTER_DEG, n), 5)
    lon = np.round(lon0 + rng.uniform(-JITTER_DEG, JITTER_DEG, n), 5)
    out = ~_inside(lon, lat)
    lat[out], lon[out] = lat0[out], lon0[out]

    best = rng.geometric(0.3, n) - 1
    # a parent's figure is at least the sum of its parts'
    parts_sum = np.bincount(parent_of[child], weights=best[child], minlength=n).astype(np.int64)
    best = np.where(is_parent, best + parts_sum, best)
    low = np.maximum(best - rng.integers(0, 3, n), 0)
    high = best + rng.integers(0, 4, n)
    has_parts = rng.random(n) < 0.5
    state = (rng.random(n) * (best + 1)).astype(np.int64)
    civ = (rng.random(n) * (best - state + 1)).astype(np.int64)
    mil = best - state - civ

    n_src = rng.integers(1, 4, n)
    s1, s2, s3 = (rng.integers(0, len(sources), n) for _ in range(3))
    s2 = np.where(s2 == s1, (s1 + 1) % len(sources), s2)
    s3 = np.where((s3 == s1) | (s3 == s2), -1, s3)
    src = pl.Series(sources)
    one, two, three = src.gather(s1), src.gather(s2), src.gather(np.maximum(s3, 0))
    source_ids = pl.select(
        pl.when(pl.Series(n_src == 1)).then(one)
        .when(pl.Series((n_src == 3) & (s3 >= 0))).then(pl.format("{};{};{}", one, two, three))
        .otherwise(pl.format("{};{}", one, two))).to_series()

    empty = pl.Series([""]).gather(np.zeros(n, dtype=np.int64))
    actor2 = _pick(rng, orgs, n, 0.5)
    actor2_type = pl.select(pl.when(actor2 == "").then(pl.lit(""))
                            .otherwise(_pick(rng, _enum(schema, "actor2_type"), n))).to_series()
    cols = {
        "incident_id": incident_id,
        "parent_incident_id": parent_id,
        "is_parent": pl.Series(["false", "true"]).gather(is_parent.astype(np.int64)),
        "event_date": _text(start),
        "date_start": _text(start),
        "date_end": _text(end),
        "date_precision": _text(precision),
        "time_local": _text(time_local, has_time),
        "event_type": event_type,
        "sub_event_type": sub_event,
        "attack_type": _pick(rng, _enum(schema, "attack_type"), n, 0.3),
        "target_type": _pick(rng, _enum(schema, "target_type"), n, 0.3),
        "weapon_type": _pick(rng, _enum(schema, "weapon_type"), n, 0.3),
        "suicide": _pick(rng, ["true", "false"], n, 0.5),
        "actor1_id": _pick(rng, orgs, n),
        "actor1_type": _pick(rng, _enum(schema, "actor1_type"), n),
        "actor2_id": actor2,
        "actor2_type": actor2_type,
        "civilian_targeting": _pick(rng, ["true"], n, 0.6),
        "perpetrator_attribution": _pick(rng, _enum(schema, "perpetrator_attribution"), n),
        "claimed_by_id": _pick(rng, orgs, n, 0.7),
        "district_id": district_id,
        "admin3": empty,
        "location": pl.select(pl.format("Place {}", pl.Series(k % 997))).to_series(),
        "location_aliases": empty,
        "latitude": _text(pl.Series(lat).round(5).cast(pl.Utf8).to_numpy(), point_d),
        "longitude": _text(pl.Series(lon).round(5).cast(pl.Utf8).to_numpy(), point_d),
        "geo_precision": _text(rng.integers(1, 4, n), point_d),
        "coord_source": pl.Series(["", "synthetic: district point with jitter"]).gather(point_d.astype(np.int64)),
        "fatalities_best": _text(best),
        "fatalities_low": _text(low),
        "fatalities_high": _text(high),
        "deaths_state_forces": _text(state, has_parts),
        "deaths_militants": _text(mil, has_parts),
        "deaths_civilians": _text(civ, has_parts),
        "deaths_unknown": empty,
        "injured": _text(rng.integers(0, 20, n), rng.random(n) < 0.4),
        "hostages": empty,
        # a basis that reports the figures (imputed only when no figure is 0)
        "fatalities_basis": pl.select(pl.when(pl.Series((low > 0) & ~has_parts & (rng.random(n) < 0.1))).then(pl.lit("imputed"))
                                      .otherwise(_pick(rng, REPORTED_BASES, n))).to_series(),
        "description": pl.Series(["Synthetic incident for benchmarks", "Synthetic incident, with a comma, for benchmarks"])
        .gather((k % 10 == 0).astype(np.int64)),
        "related_site_id": _pick(rng, sites, n, 0.99) if sites else empty,
        "source_ids": source_ids,
        "last_updated": _text(updated),
        "row_version": _text(rng.integers(1, 4, n)),
        "notes": empty,
    }
    names = [f["name"] for f in schema["fields"]]
    assert set(cols) == set(names), set(cols) ^ set(names)
    return pl.DataFrame([cols[name].alias(name).cast(pl.Utf8) for name in names])


class _Cells:
    """Cell reads from the frame and writes recorded for one `scatter` per column at the end."""

    def __init__(self, df: pl.DataFrame) -> None:
        self.df = df
        self.writes: dict[str, dict[int, str]] = {}

    def __getitem__(self, column: str) -> "_Column":
        return _Column(self, column)

    def frame(self) -> pl.DataFrame:
        cols = []
        for c in self.df.columns:
            s = self.df[c]
            if c in self.writes:
                idx = list(self.writes[c])
                s = s.clone().scatter(idx, [self.writes[c][i] for i in idx])
            cols.append(s)
        return pl.DataFrame(cols)


class _Column:
    def __init__(self, cells: _Cells, name: str) -> None:
        self.cells, self.name = cells, name

    def __getitem__(self, i: int) -> str:
        w = self.cells.writes.get(self.name, {})
        return w[i] if i in w else self.cells.df[self.name][i]

    def __setitem__(self, i: int, value: str) -> None:
        self.cells.writes.setdefault(self.name, {})[i] = value


def _inject_cells(df: pl.DataFrame, rng: np.random.Generator, n_each: int) -> tuple[pl.DataFrame, list[dict]]:
    """Cell-level defects. Returns the frame and `(row_index, code, field)` records (line added later)."""
    n = df.height
    data = _Cells(df)
    used: set[int] = set()
    found: list[dict] = []

    def rows(count: int, *, ok=lambda i: i % PARENT_EVERY > CHILDREN) -> list[int]:
        """Rows outside the waves (a change to a parent or its part would break their rules too)."""
        out = []
        while len(out) < count:
            i = int(rng.integers(1, n))
            if i in used or not ok(i):
                continue
            used.add(i)
            out.append(i)
        return out

    def add(i: int, code: str, field: str) -> None:
        found.append({"row_index": i, "code": code, "field": field})

    for i in rows(n_each):  # impossible calendar date
        data["event_date"][i] = f"{data['event_date'][i][:4]}-13-45"
        add(i, "type-error", "event_date")
    for i in rows(n_each):  # date in the future
        data["date_end"][i] = "2031-01-01"
        add(i, "date-in-future", "date_end")
    for i in rows(n_each):  # before the schema's minimum (1947-08-14)
        data["date_start"][i] = "1900-01-01"
        data["event_date"][i] = "1900-01-01"
        add(i, "constraint-error", "date_start")
        add(i, "constraint-error", "event_date")
    for i in rows(n_each):  # end before start
        d = np.datetime64(data["date_start"][i]) - np.timedelta64(5, "D")
        data["date_end"][i] = str(d)
        data["event_date"][i] = str(d)
        add(i, "date-order", "date_end")
    for i in rows(n_each):  # a point in Afghanistan (Kandahar)
        data["latitude"][i], data["longitude"][i] = "31.61000", "65.71000"
        data["district_id"][i] = "PK226"
        add(i, "point-outside-province", "latitude")
    for i in rows(n_each):  # a point in the Arabian Sea
        data["latitude"][i], data["longitude"][i] = "24.50000", "63.00000"
        add(i, "point-outside-province", "latitude")
    for i in rows(n_each):  # a Gwadar point for a row that names Quetta
        data["latitude"][i], data["longitude"][i] = "25.12163", "62.32541"
        data["district_id"][i] = "PK226"
        add(i, "point-far-from-district", "latitude")
    for i in rows(n_each):  # enum
        data["event_type"][i] = "Battle"
        add(i, "constraint-error", "event_type")
    for i in rows(n_each):  # pattern
        data["time_local"][i] = "25:00"
        add(i, "constraint-error", "time_local")
    for i in rows(n_each):  # required
        data["location"][i] = ""
        add(i, "constraint-error", "location")
    for i in rows(n_each):  # integer type
        data["fatalities_high"][i] = "many"
        add(i, "type-error", "fatalities_high")
    for i in rows(n_each):  # low > best
        best = int(data["fatalities_best"][i])
        data["fatalities_low"][i] = str(best + 5)
        data["fatalities_high"][i] = str(best + 10)
        add(i, "fatalities-order", "fatalities_low")
    for i in rows(n_each):  # parts above the total
        best = int(data["fatalities_best"][i])
        data["deaths_state_forces"][i], data["deaths_militants"][i], data["deaths_civilians"][i] = str(best + 1), "0", "0"
        add(i, "fatalities-parts", "fatalities_best")
    for i in rows(n_each):  # dangling organization
        data["actor1_id"][i] = "ORG-NO-SUCH-GROUP"
        add(i, "foreign-key", "actor1_id")
    for i in rows(n_each):  # dangling district (pattern-valid P-code)
        data["district_id"][i] = "PK299"
        data["latitude"][i] = data["longitude"][i] = ""
        add(i, "foreign-key", "district_id")
    for i in rows(n_each):  # dangling source in a list of ids
        data["source_ids"][i] = data["source_ids"][i].split(";")[0] + ";SRC-9999"
        add(i, "foreign-key", "source_ids")
    for i in rows(n_each, ok=lambda i: i % PARENT_EVERY > 3):  # dangling parent incident (self-reference)
        data["parent_incident_id"][i] = "BAL-INC-1999-0001"
        add(i, "foreign-key", "parent_incident_id")
    for i in rows(n_each):  # a basis of "none reported" beside figures
        data["fatalities_basis"][i] = "none_reported"
        for f in ("fatalities_best", "fatalities_low", "fatalities_high", "deaths_state_forces", "deaths_militants",
                  "deaths_civilians", "deaths_unknown"):
            if data[f][i] != "":
                add(i, "figure-with-none-reported", f)
                if data[f][i] == "0":
                    add(i, "zero-without-reported-basis", f)
    for i in rows(n_each, ok=lambda i: i % PARENT_EVERY == 1 and i + PARENT_EVERY < n):  # a part before its wave
        d = str(np.datetime64(data["date_start"][i]) - np.timedelta64(1, "D"))
        data["date_start"][i] = data["event_date"][i] = d
        add(i, "part-outside-parent-dates", "date_start")
    for i in rows(n_each, ok=lambda i: i % PARENT_EVERY == 2):  # parts above their parent's figure
        over = str(int(data["fatalities_best"][i - 2]) + 1)
        for f in ("fatalities_best", "fatalities_low", "fatalities_high"):
            data[f][i] = over
        for f in ("deaths_state_forces", "deaths_militants", "deaths_civilians"):
            data[f][i] = ""
        used.add(i - 2)
        add(i - 2, "parts-exceed-parent", "fatalities_best")
    for i in rows(n_each):  # duplicate id: takes the id of the row before it
        data["incident_id"][i] = data["incident_id"][i - 1]
        used.add(i - 1)
        add(i, "primary-key", "incident_id")
    for i in rows(n_each):  # spreadsheet formula
        data["location"][i] = "=HYPERLINK(\"http://x\")"
        add(i, "formula-injection", "location")
    for i in rows(n_each):  # leading space
        data["location"][i] = " " + data["location"][i]
        add(i, "whitespace", "location")
    for i in rows(n_each):  # valid rows whose description holds a newline: lines drift from rows
        data["description"][i] = "Synthetic incident\nwith a line break, for benchmarks"
    for i in rows(2 * n_each):  # rows used for byte-level defects below: plain notes
        data["notes"][i] = ""
        found.append({"row_index": i, "code": "__byte__", "field": "notes"})
    return data.frame(), found


def _nulls(df: pl.DataFrame) -> pl.DataFrame:
    """Empty strings become nulls, which polars writes as nothing (not `""`)."""
    return df.with_columns(pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in df.columns)


def _csv_bytes(df: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    _nulls(df).write_csv(buf, line_terminator="\n", quote_style="necessary")
    return buf.getvalue()


def _finish_with_bytes(raw: bytes, df: pl.DataFrame, found: list[dict]) -> tuple[bytes, list[dict]]:
    """Byte-level defects (extra cell, invalid UTF-8, blank line) and each error's physical line."""
    extra_lines = df["description"].str.count_matches("\n").to_numpy()  # lines each row spans, minus 1
    lines = raw.split(b"\n")
    assert lines[-1] == b""
    lines.pop()
    # row r (0-based) starts at 0-based physical index first[r]
    first = np.concatenate([[1], 1 + np.cumsum(1 + extra_lines)[:-1]]).astype(np.int64)
    byte_rows = [f for f in found if f["code"] == "__byte__"]
    errors = [f for f in found if f["code"] != "__byte__"]
    half = len(byte_rows) // 2
    blank_before: list[int] = []
    for j, f in enumerate(byte_rows):
        r = f["row_index"]
        last = first[r] + extra_lines[r]
        if j < half:
            lines[last] += b",extra"
            errors.append({"row_index": r, "code": "extra-cell", "field": None})
        else:
            lines[last] += b"\xff"
            errors.append({"row_index": r, "code": "encoding-error", "field": "notes"})
    blank_row = byte_rows[0]["row_index"] + 7 if byte_rows else None
    if blank_row is not None and blank_row < len(first):
        blank_before.append(blank_row)
    for r in sorted(blank_before, reverse=True):
        lines.insert(int(first[r]), b"")
    shift = np.zeros(len(first) + 1, dtype=np.int64)
    for r in blank_before:
        shift[r:] += 1
    out = []
    for f in errors:
        r = f["row_index"]
        out.append({"code": f["code"], "resource": "incidents", "line": int(first[r] + shift[r]) + 1, "field": f["field"]})
    for r in blank_before:
        out.append({"code": "blank-row", "resource": "incidents", "line": int(first[r] + shift[r]), "field": None})
    out.sort(key=lambda e: (e["line"], e["code"], e["field"] or ""))
    return b"\n".join(lines) + b"\n", out


def _digest(path: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
            size += len(chunk)
    return size, "sha256:" + h.hexdigest()


def _complete_sources(src: Path, dest: Path) -> None:
    """The real sources, each with a publisher, a date and an absolute address or none (the
    synthetic rows cite them all; the real data may still lack some)."""
    with src.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows, fields = list(reader), reader.fieldnames
    for r in rows:
        r["publisher"] = r.get("publisher") or "Synthetic publisher"
        r["published_at"] = r.get("published_at") or "2024-01-01"
        for f in ("url", "archive_url"):
            if r.get(f) and not r[f].startswith(("http://", "https://")):
                r[f] = ""
    with dest.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def write_package(dest: Path, n_incidents: int, *, seed: int = 0,
                  inject_errors: bool = False) -> tuple[Path, list[dict]]:
    """Write a synthetic package to `dest`; return its datapackage.json and the injected errors."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    shutil.copytree(REPO / "schemas", dest / "schemas", dirs_exist_ok=True)
    (dest / "tables").mkdir(exist_ok=True)
    for res in descriptor["resources"]:
        if res["name"] not in ("incidents", "statements", "sources"):
            shutil.copy2(REPO / res["path"], dest / res["path"])
    _complete_sources(REPO / "tables/sources.csv", dest / "tables/sources.csv")
    schema = json.loads((REPO / "schemas/incidents.schema.json").read_text(encoding="utf-8"))
    orgs = [r["org_id"] for r in _read_rows(REPO / "tables/organizations.csv")]
    sources = [r["source_id"] for r in _read_rows(REPO / "tables/sources.csv")]
    districts = _read_rows(REPO / "tables/districts.csv")
    sites = [r["site_id"] for r in _read_rows(REPO / "tables/minerals.csv")]
    if not orgs or not sources or not [d for d in districts if d["latitude"]]:
        raise RuntimeError("the real reference tables need organizations, sources and a district with a point")

    # statements: the real rows, with the link to real incidents blanked
    with (REPO / "tables/statements.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        st_rows = list(reader)
        st_fields = reader.fieldnames
    for r in st_rows:
        r["related_incident_id"] = ""
    with (dest / "tables/statements.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=st_fields, lineterminator="\n")
        w.writeheader()
        w.writerows(st_rows)

    rng = np.random.default_rng(seed)
    df = _incidents(n_incidents, rng, schema, orgs, sources, districts, sites)
    errors: list[dict] = []
    if inject_errors:
        n_each = 3 if n_incidents >= 1000 else 1
        df, found = _inject_cells(df, rng, n_each)
        raw, errors = _finish_with_bytes(_csv_bytes(df), df, found)
        (dest / "tables/incidents.csv").write_bytes(raw)
    else:
        _nulls(df).write_csv(dest / "tables/incidents.csv", line_terminator="\n", quote_style="necessary")

    for res in descriptor["resources"]:
        res["bytes"], res["hash"] = _digest(dest / res["path"])
    (dest / "datapackage.json").write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return dest / "datapackage.json", errors


if __name__ == "__main__":
    import time

    t = time.perf_counter()
    path, errs = write_package(Path(sys.argv[1]), int(sys.argv[2]), inject_errors="--errors" in sys.argv)
    print(f"{path}: {len(errs)} injected errors, {time.perf_counter() - t:.1f} s")
    for e in errs:
        print(e)
