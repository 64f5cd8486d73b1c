from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from brcd.options import package_argument


def register(app: typer.Typer) -> None:
    app.command("serve", short_help="Serve the data in Datasette on http://127.0.0.1:8001/ (Ctrl-C stops).")(serve_command)


def serve_command(
    package: Optional[Path] = package_argument(),
    host: str = typer.Option("127.0.0.1", "--host", metavar="ADDRESS", help="Address to listen on (0.0.0.0 for every interface)."),
    port: int = typer.Option(8001, "--port", min=1, max=65535, metavar="PORT", help="Port to listen on."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, max=32, metavar="N", show_default="one per CPU, up to 4",
                                          help="Server processes."),
) -> None:
    """Build the SQLite database if stale, then serve it with Datasette (read-only). Ctrl-C stops.

    The site has the generated metadata, facets, full-text search, an offline map, stored
    queries, the codebook (/codebook) and a home page with version, row counts, downloads and
    how to cite.

    Example: brcd serve --port 8001
    """
    from brcd.package import load_package
    from brcd.site.serve import serve

    serve(load_package(package), host=host, port=port, workers=workers, echo=lambda text: typer.echo(text, err=True))
