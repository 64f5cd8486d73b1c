"""Datasette loads plugins from this folder (`--plugins-dir site/plugins`); the codebook page itself
lives in the toolkit package, `scripts/brcd/site/codebook.py`."""

from brcd.site.codebook import *  # noqa: F401,F403 - the page's hook implementations
