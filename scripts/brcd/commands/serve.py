from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)


def serve_command(
    package: Optional[Path] = typer.Argument(None, help="datapackage.json or its folder (default: current folder)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 for every interface)."),
    port: int = typer.Option(8001, "--port", min=1, max=65535, help="Port to listen on."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, max=32,
                                          help="Server processes (default: one per CPU, up to 4)."),
) -> None:
    """Build the SQLite database if stale, then serve it with Datasette (read-only). Ctrl-C stops.

    The site has the generated metadata, facets, full-text search, an offline map, stored
    queries and a home page with version, row counts, downloads and how to cite.

    Example: brcd serve --port 8001
    """
    from brcd.package import load_package
    from brcd.site.serve import serve

    serve(load_package(package), host=host, port=port, workers=workers, echo=lambda text: typer.echo(text, err=True))
