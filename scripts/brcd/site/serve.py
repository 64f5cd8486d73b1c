"""Run the BRCD site: build the SQLite file if stale, generate the site files, start Datasette.

`prepare(package)` writes everything Datasette needs under `<package>/dist/site/` (git-ignored):
`metadata.json` (from `brcd.site.metadata`), `inspect-data.json` (row counts and hash, so the immutable
database never counts a million rows per request) and `serve.json` (the instance's settings).
`serve(...)` then runs Datasette 0.65 under uvicorn, the database immutable, with the
hand-written `site/settings.json`, templates, static files and plugins, in one worker process
per core (up to 4); uvicorn handles Ctrl-C, and `serve` returns cleanly after it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brcd.digest import file_digest
from brcd.errors import BrcdError
from brcd.fsutil import atomic_write_text
from brcd.package import Package, read_json
from brcd.release.build import build
from brcd.site.metadata import DATABASE, PACKAGE_ROOT_ENV, STATIC_MOUNT, generate_metadata

SITE_DIR = Path(__file__).resolve().parents[3] / "site"
CONFIG_ENV = "BRCD_SERVE_CONFIG"
SECRET_ENV = "BRCD_SERVE_SECRET"


@dataclass(frozen=True)
class SiteFiles:
    """The files one Datasette run serves."""

    sqlite: Path
    metadata: Path
    inspect: Path
    site_dir: Path
    package_root: Path


def site_dir(package: Package) -> Path:
    """The package's own `site/` folder when it has one, else the toolkit's."""
    own = package.root / "site"
    return own if (own / "settings.json").is_file() else SITE_DIR


def load_settings(site: Path) -> dict[str, Any]:
    """`site/settings.json`: Datasette settings by name, with JSON values of the setting's type."""

    path = site / "settings.json"
    settings = read_json(path, "site settings")
    if not isinstance(settings, dict):
        raise BrcdError("settings-error", "site settings must be a JSON object.", file=path, line=1, column=1,
                        hint='write {"setting_name": value, ...}.')
    return check_settings(settings, path)


def check_settings(settings: dict[str, Any], path: Path) -> dict[str, Any]:
    """Unknown names and wrongly typed values are errors (Datasette would ignore or crash on them)."""
    from datasette.app import SETTINGS

    known = {s.name: s.default for s in SETTINGS}
    for name, value in settings.items():
        if name not in known:
            raise BrcdError("settings-error", f"unknown Datasette setting {name!r}.", file=path,
                            hint="see `datasette --help-settings` for the names Datasette 0.65 knows.")
        want = type(known[name])
        kinds = {int: "a whole number", bool: "true or false", str: "a string"}
        if (want is int and (isinstance(value, bool) or not isinstance(value, int))) or \
                (want is bool and not isinstance(value, bool)) or (want is str and not isinstance(value, str)):
            raise BrcdError("settings-error", f"setting {name!r} must be {kinds[want]}, not {value!r}.",
                            file=path, hint=f"write {kinds[want]} (JSON) for {name}.")
    return settings


def inspect_data(sqlite_path: Path) -> dict[str, Any]:
    """What `datasette inspect` records for one database: hash, size, file and row counts."""

    size, digest = file_digest(sqlite_path)
    con = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in con.execute("select name from sqlite_master where type = 'table'")]
        counts = {}
        for name in names:
            try:
                counts[name] = {"count": con.execute(f'select count(*) from "{name.replace(chr(34), chr(34) * 2)}"').fetchone()[0]}
            except sqlite3.DatabaseError:  # FTS shadow tables some SQLite builds cannot count
                counts[name] = {"count": None}
    finally:
        con.close()
    stat = sqlite_path.stat()
    return {DATABASE: {"hash": digest.split(":", 1)[1], "size": size, "file": str(sqlite_path),
                       "mtime_ns": stat.st_mtime_ns, "tables": counts}}


def _fresh_inspect(path: Path, sqlite_path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))[DATABASE]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    stat = sqlite_path.stat()
    return data.get("file") == str(sqlite_path) and data.get("size") == stat.st_size \
        and data.get("mtime_ns") == stat.st_mtime_ns


def build_database(package: Package, out_dir: Path, force: bool = False) -> Path:
    """The package's SQLite file, rebuilt by `brcd.release.build` when stale. Datasette names a database
    after its file, so the file must be called `brcd.<ext>`."""

    result = build(package, out_dir=out_dir, force=force)
    sqlite = Path(result.sqlite)
    if sqlite.stem != DATABASE:
        raise BrcdError("database-name", f"the built database is {sqlite.name}; the site serves it as "
                        f"`{DATABASE}` and needs it named {DATABASE}{sqlite.suffix}.", file=sqlite,
                        hint="name the build output brcd.sqlite.")
    return sqlite


def prepare(package: Package, *, out_dir: Path | None = None, force: bool = False) -> SiteFiles:
    """Build if stale, then write metadata.json and inspect-data.json under `<out_dir>/site/`."""
    root = package.root.resolve()
    out_dir = (out_dir or root / "dist").resolve()
    sqlite = build_database(package, out_dir, force=force)
    gen = out_dir / "site"
    metadata_path = gen / "metadata.json"
    atomic_write_text(metadata_path, json.dumps(generate_metadata(package, sqlite), indent=2, ensure_ascii=False) + "\n")
    inspect_path = gen / "inspect-data.json"
    if force or not _fresh_inspect(inspect_path, sqlite):
        atomic_write_text(inspect_path, json.dumps(inspect_data(sqlite), indent=2) + "\n")
    return SiteFiles(sqlite=sqlite, metadata=metadata_path, inspect=inspect_path, site_dir=site_dir(package),
                     package_root=root)


def site_config(files: SiteFiles) -> dict[str, Any]:
    """Everything one Datasette instance needs, as JSON (each server worker builds its own)."""
    site = files.site_dir
    return {
        "sqlite": str(files.sqlite),
        "metadata": str(files.metadata),
        "inspect": str(files.inspect),
        "package_root": str(files.package_root),
        "template_dir": str(site / "templates") if (site / "templates").is_dir() else None,
        "plugins_dir": str(site / "plugins") if (site / "plugins").is_dir() else None,
        "static": str(site / "static") if (site / "static").is_dir() else None,
        "settings": load_settings(site),
    }


def make_datasette(config: dict[str, Any]):
    """A Datasette 0.65 instance serving the database immutably with the generated metadata."""
    from datasette.app import Datasette

    os.environ[PACKAGE_ROOT_ENV] = config["package_root"]
    return Datasette(
        immutables=[config["sqlite"]],
        metadata=json.loads(Path(config["metadata"]).read_text(encoding="utf-8")),
        inspect_data=json.loads(Path(config["inspect"]).read_text(encoding="utf-8")),
        template_dir=config["template_dir"],
        plugins_dir=config["plugins_dir"],
        static_mounts=[(STATIC_MOUNT, config["static"])] if config["static"] else [],
        settings=config["settings"],
        secret=os.environ.get(SECRET_ENV) or None,
    )


def make_app():
    """uvicorn's app factory: called once in each worker process."""
    config = json.loads(Path(os.environ[CONFIG_ENV]).read_text(encoding="utf-8"))
    return make_datasette(config).app()


def check_port(host: str, port: int) -> None:
    """Fail with a clear message, before anything is built, when the address is taken."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise BrcdError("bad-host", f"cannot resolve host {host!r}: {exc.strerror}.",
                        hint="use an address such as 127.0.0.1 or 0.0.0.0.") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(addr)
        except OSError as exc:
            raise BrcdError("port-in-use", f"cannot listen on {host}:{port}: {exc.strerror}.",
                            hint="stop the other server or pass another --port.") from None


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):  # pragma: no cover - exercised through a subprocess
    raise _Stop()


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def run_site(files: SiteFiles, host: str, port: int, workers: int) -> None:
    """Serve until Ctrl-C (SIGINT) or SIGTERM. Datasette renders pages on its event loop, so one
    process uses one core; several workers share the port and use the others."""
    import secrets

    import uvicorn

    config_path = files.metadata.parent / "serve.json"
    atomic_write_text(config_path, json.dumps(site_config(files), indent=2) + "\n")
    os.environ[CONFIG_ENV] = str(config_path)
    # One secret for every worker, so signed cookies and CSRF tokens hold across them.
    os.environ.setdefault(SECRET_ENV, secrets.token_hex(32))
    make_app()  # a broken configuration fails here, once, rather than in every worker
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    try:
        uvicorn.run("brcd.site.serve:make_app", factory=True, host=host, port=port, workers=workers,
                    http="brcd.site.nodelay:H11NoDelay", log_level="info", lifespan="on")
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve(package: Package, host: str = "127.0.0.1", port: int = 8001, *, workers: int | None = None,
          echo=print) -> None:
    """Build if stale and serve the site on host:port until stopped."""
    check_port(host, port)
    files = prepare(package)
    workers = workers or default_workers()
    echo(f"BRCD {package.version}: serving {files.sqlite} at http://{host}:{port}/ "
         f"with {workers} worker(s) (Ctrl-C stops).")
    run_site(files, host, port, workers)
    echo("Stopped.")
