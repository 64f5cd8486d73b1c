"""`brcd new`: prompts (with wrong answers asked again), the next free id, checks before
writing, and an insert that leaves every other line byte-identical."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from brcd.cli import app
from brcd.edit.hash import stale_resources
from brcd.edit.new import pattern_tokens, propose_id
from brcd.package import load_package

runner = CliRunner()


def column(csv_path: Path, name: str) -> list[str]:
    with csv_path.open(newline="", encoding="utf-8") as fh:
        return [row[name] for row in csv.DictReader(fh)]


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def next_number(ids: list[str], prefix: str) -> int:
    return max((int(i.rsplit("-", 1)[1]) for i in ids if i.startswith(prefix)), default=0) + 1


def added_lines(before: bytes, after: bytes) -> tuple[int, list[str]]:
    """The single line `after` adds to `before` (1-based position), asserting nothing else moved."""
    old, new = before.decode().split("\n"), after.decode().split("\n")
    assert len(new) == len(old) + 1
    pos = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), len(old) - 1)
    assert new[:pos] + new[pos + 1:] == old  # every other line byte-identical
    return pos + 1, new[pos]


@pytest.fixture
def pkg(package_copy: Path) -> Path:
    return package_copy.parent


def invoke(pkg: Path, table: str, *args: str, input: str | None = None):
    """`brcd new TABLE PACKAGE ARGS...`: the package is the positional after the table."""
    return runner.invoke(app, ["new", table, str(pkg), *args], input=input)


def incident_answers(pkg: Path) -> dict[str, str]:
    """A synthetic, internally consistent incident (test data in a temporary copy only)."""
    return {
        "is_parent": "false", "event_date": "2025-03-11", "date_start": "2025-03-11", "date_end": "2025-03-11",
        "date_precision": "1", "event_type": "Battles", "sub_event_type": "Armed clash",
        "actor1_id": column(pkg / "tables" / "organizations.csv", "org_id")[0], "actor1_type": "Rebel group",
        "perpetrator_attribution": "unattributed", "location": "Test location",
        "fatalities_best": "2", "fatalities_low": "1", "fatalities_high": "3", "fatalities_basis": "media_tally",
        "description": "Synthetic row written by the test suite; not an event.",
        "source_ids": column(pkg / "tables" / "sources.csv", "source_id")[0],
    }


def test_prompts_ask_again_after_wrong_answers_then_insert_one_line(pkg: Path) -> None:
    answers = incident_answers(pkg)
    required = [f["name"] for f in load_package(pkg).resource("incidents").fields
                if f.get("constraints", {}).get("required") and f["name"] != "incident_id"]
    typed = []
    for name in required:
        if name == "event_date":
            typed += ["2025-02-30", "11 March 2025"]          # two wrong dates, asked again each time
        if name == "source_ids":
            typed.append("SRC-9999")                          # a source that does not exist
        if name == "date_precision":
            typed.append("9")                                 # above the maximum
        typed.append(answers.get(name, ""))                   # "" takes the default (today, 1)
    typed.append("")                                          # accept the proposed id
    table = pkg / "tables" / "incidents.csv"
    before = table.read_bytes()
    expected_id = f"BAL-INC-2025-{next_number(column(table, 'incident_id'), 'BAL-INC-2025-'):04d}"

    result = invoke(pkg, "incidents", input="\n".join(typed) + "\n")

    assert result.exit_code == 0, result.output
    out = result.output
    assert "Error: '2025-02-30' is not a date as YYYY-MM-DD." in out
    assert "Error: '11 March 2025' is not a date as YYYY-MM-DD." in out
    assert "Error: SRC-9999 is not a source_id in tables/sources.csv" in out
    assert "Error: '9' must be at most 5." in out
    assert f"incident_id [{expected_id}]:" in out
    line_no, line = added_lines(before, table.read_bytes())
    assert line.startswith(expected_id + ",")
    assert f"added {expected_id} to tables/incidents.csv at line {line_no}" in out
    row = dict(zip(column_names(table), next(csv.reader([line]))))
    assert row["event_date"] == "2025-03-11" and row["source_ids"] == answers["source_ids"]
    assert row["row_version"] == "1" and len(row["last_updated"]) == 10
    assert stale_resources(load_package(pkg)) == []  # bytes/hash updated


def test_a_row_that_breaks_a_validate_rule_is_asked_again_before_writing(pkg: Path) -> None:
    """Each answer is fine on its own, but low > best breaks validate's fatalities-order rule
    across fields: the row is not written until the flagged field is answered again. (The
    figures are optional fields, so they are given as flags; the prompts ask the required ones.)"""
    answers = incident_answers(pkg)
    figures = {"fatalities_low": "5", "fatalities_best": "2", "fatalities_high": "3"}
    required = [f["name"] for f in load_package(pkg).resource("incidents").fields
                if f.get("constraints", {}).get("required") and f["name"] != "incident_id" and f["name"] not in figures]
    typed = [answers.get(name, "") for name in required] + ["", "1"]  # accept the id; then low = 1
    table = pkg / "tables" / "incidents.csv"
    before = table.read_bytes()
    flags = [x for k, v in figures.items() for x in (f"--{k}", v)]

    result = invoke(pkg, "incidents", *flags, input="\n".join(typed) + "\n")

    assert result.exit_code == 0, result.output
    assert "tables/incidents.csv: error[fatalities-order]: fatalities_low:" in result.output
    _, line = added_lines(before, table.read_bytes())
    row = dict(zip(column_names(table), next(csv.reader([line]))))
    assert (row["fatalities_low"], row["fatalities_best"], row["fatalities_high"]) == ("1", "2", "3")


def column_names(table: Path) -> list[str]:
    return table.read_text(encoding="utf-8").split("\n", 1)[0].split(",")


def test_flags_fill_every_field_and_row_goes_where_fmt_puts_it(pkg: Path) -> None:
    table = pkg / "tables" / "incidents.csv"
    ids = column(table, "incident_id")
    answers = incident_answers(pkg) | {"event_date": "2024-08-30", "date_start": "2024-08-30", "date_end": "2024-08-30"}
    flags = [x for k, v in answers.items() for x in (f"--{k.replace('_', '-')}", v)]
    before = table.read_bytes()

    result = invoke(pkg, "incidents", "--no-input", *flags)

    assert result.exit_code == 0, result.output
    new_id = f"BAL-INC-2024-{next_number(ids, 'BAL-INC-2024-'):04d}"
    line_no, line = added_lines(before, table.read_bytes())
    assert line.startswith(new_id + ",")
    # sorted position: right after the last 2024 id, whatever follows
    assert line_no == 2 + sum(1 for i in ids if i < new_id)
    fmt = runner.invoke(app, ["fmt", str(pkg), "--check", "--table", "incidents"])
    if sorted(ids) == ids:  # the table was canonical before: it still is
        assert fmt.exit_code == 0, fmt.output


def test_no_input_reports_every_problem_of_the_row_at_once_and_writes_nothing(pkg: Path) -> None:
    """A bad value, a missing required value, an unknown id and a rule across fields: one
    report, one format (the validator's), exit 1, nothing written."""
    before = snapshot(pkg)
    answers = incident_answers(pkg) | {"date_precision": "9", "source_ids": "SRC-9999",
                                       "fatalities_low": "5", "fatalities_best": "2", "fatalities_high": "3"}
    del answers["location"]
    flags = [x for k, v in answers.items() for x in (f"--{k}", v)]
    result = invoke(pkg, "incidents", "--no-input", *flags)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stdout.splitlines() if "error[" in line]
    found = {(line.split("error[", 1)[1].split("]")[0], line.split("]: ", 1)[1].split(":")[0]) for line in lines}
    assert {("constraint-error", "date_precision"), ("constraint-error", "location"),
            ("foreign-key", "source_ids"), ("fatalities-order", "fatalities_low")} <= found, result.stdout
    assert all(line.startswith("tables/incidents.csv: error[") for line in lines)
    assert "nothing written" in result.stdout
    assert snapshot(pkg) == before


def test_missing_required_fields_are_listed_and_exit_1(pkg: Path) -> None:
    result = invoke(pkg, "sources", "--no-input")
    assert result.exit_code == 1
    for name in ("title", "source_type", "reliability"):
        assert f"error[constraint-error]: {name}: {name} is empty: a value is required." in result.stdout


def test_interrupted_prompts_write_nothing(pkg: Path) -> None:
    before = snapshot(pkg)
    result = invoke(pkg, "sources", input="A title\nnews_report\n")  # input ends mid-way
    assert result.exit_code == 1  # Aborted
    assert snapshot(pkg) == before


def test_an_id_in_use_is_refused_and_asked_again(pkg: Path) -> None:
    table = pkg / "tables" / "sources.csv"
    ids = column(table, "source_id")
    result = invoke(pkg, "sources", "--title", "Synthetic test source", "--source-type", "analysis",
                    "--reliability", "secondary", input=f"{ids[0]}\n\n")
    assert result.exit_code == 0, result.output
    assert f"Error: {ids[0]} is already used in tables/sources.csv; pick a free id." in result.output
    assert column(table, "source_id")[-1] == f"SRC-{next_number(ids, 'SRC-'):04d}"


def test_unknown_field_flag_is_a_usage_error(pkg: Path) -> None:
    result = invoke(pkg, "sources", "--no-input", "--headline", "x")
    assert result.exception.exit_code == 2  # BrcdError: brcd.cli.run prints it as one line, exit 2
    assert "sources has no field 'headline'" in result.exception.one_line()


def test_dry_run_prints_the_canonical_line(pkg: Path) -> None:
    before = snapshot(pkg)
    result = invoke(pkg, "sources", "--no-input", "--dry-run", "--title", "A, title", "--source-type", "analysis",
                    "--reliability", "secondary", "--source-id", "SRC-9000")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith('SRC-9000,"A, title",,')
    assert snapshot(pkg) == before


# --- ids -------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, tokens", [
    ("^SRC-[0-9]{4}$", [("lit", "SRC-"), ("digits", 4)]),
    ("^BAL-INC-[0-9]{4}-[0-9]{4}$", [("lit", "BAL-INC-"), ("digits", 4), ("lit", "-"), ("digits", 4)]),
    ("^ORG-[A-Z0-9-]+$", [("lit", "ORG-"), ("slug", None)]),
    ("^(PK2[0-9]{2}|DIV-[A-Z]+)$", None),  # official codes: never proposed
])
def test_pattern_tokens(pattern: str, tokens) -> None:
    assert pattern_tokens(pattern) == tokens


def test_proposals_follow_each_tables_pattern(pkg: Path) -> None:
    package = load_package(pkg)
    orgs = column(pkg / "tables" / "organizations.csv", "org_id")
    assert propose_id(package.resource("organizations"), {"name": "Test Front (B)"}) == "ORG-TEST-FRONT-B"
    taken = orgs[0]
    name = taken.removeprefix("ORG-").replace("-", " ")
    assert propose_id(package.resource("organizations"), {"name": name}) == taken + "-2"
    assert propose_id(package.resource("districts"), {"name": "Anywhere"}) is None
    inc = package.resource("incidents")
    ids = column(inc.path, "incident_id")
    assert propose_id(inc, {"event_date": "2031-01-05"}) == "BAL-INC-2031-0001"
    assert propose_id(inc, {}) == max(ids)[:-4] + f"{int(max(ids)[-4:]) + 1:04d}"


def test_first_id_of_an_empty_table(pkg: Path) -> None:
    package = load_package(pkg)
    stm = package.resource("statements")
    header = stm.path.read_text(encoding="utf-8").split("\n", 1)[0]
    stm.path.write_text(header + "\n", encoding="utf-8")
    assert propose_id(stm, {}) == "BAL-STM-0001"
    descriptor = json.loads((pkg / "datapackage.json").read_text())
    assert any(r["name"] == "statements" for r in descriptor["resources"])


def only_ids(resource, *ids: str) -> None:
    """Leave the table with rows that hold nothing but these ids (propose_id reads the key column)."""
    names = resource.field_names
    key = resource.primary_key[0]
    rows = [",".join(i if n == key else "" for n in names) for i in ids]
    resource.path.write_text("\n".join([",".join(names), *rows]) + "\n", encoding="utf-8")


def test_a_full_id_space_is_a_clear_error_not_an_id_that_breaks_the_pattern(pkg: Path) -> None:
    """9,999 incidents in 2026: BAL-INC-2026-10000 would break ^BAL-INC-[0-9]{4}-[0-9]{4}$."""
    from brcd.errors import BrcdError

    package = load_package(pkg)
    inc = package.resource("incidents")
    only_ids(inc, "BAL-INC-2026-0001", "BAL-INC-2026-9999", "BAL-INC-2025-0003")
    with pytest.raises(BrcdError) as info:
        propose_id(inc, {"event_date": "2026-05-01"})
    err = info.value
    assert err.code == "id-space-full" and err.exit_code == 1
    assert "the incident_id after BAL-INC-2026-9999 would break the pattern ^BAL-INC-[0-9]{4}-[0-9]{4}$" in err.message
    assert "BAL-INC-2026-NNNN are used up" in err.message and "--incident-id" in err.hint
    assert propose_id(inc, {"event_date": "2025-05-01"}) == "BAL-INC-2025-0004"  # another year has room
    src = package.resource("sources")
    only_ids(src, "SRC-9999")
    with pytest.raises(BrcdError, match="the ids of the form SRC-NNNN are used up"):
        propose_id(src, {})


@pytest.mark.parametrize("name", ["بلوچستان", "—", ""])
def test_a_name_without_latin_letters_gets_no_proposal_rather_than_a_bad_id(pkg: Path, name: str) -> None:
    """`ORG-` alone would break ^ORG-[A-Z0-9-]+$: the contributor types the id instead."""
    package = load_package(pkg)
    assert propose_id(package.resource("organizations"), {"name": name}) is None


def test_every_proposal_matches_its_pattern(pkg: Path) -> None:
    import re

    package = load_package(pkg)
    rows = {"organizations": {"name": "Front (B) 2"}, "minerals": {"site_name": "Reko Diq North"},
            "incidents": {"event_date": "2026-01-01"}, "sources": {}, "statements": {}, "financing": {}}
    for table, row in rows.items():
        res = package.resource(table)
        proposal = propose_id(res, row)
        pattern = res.field(res.primary_key[0])["constraints"]["pattern"]
        assert proposal is not None and re.fullmatch(pattern, proposal), (table, proposal)
