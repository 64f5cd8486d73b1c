"""Datasette loads plugins from this folder (`--plugins-dir site/plugins`); the BRCD plugin itself
lives in the toolkit package, `scripts/brcd/site/plugin.py`."""

from brcd.site.plugin import *  # noqa: F401,F403 - the plugin's hook implementations
