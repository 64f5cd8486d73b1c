"""BRCD toolkit: keeps the Balochistan Resources and Conflict Dataset correct.

Heavy libraries (duckdb, frictionless, polars, datasette) are imported inside the
functions that need them, so `brcd --help` starts fast.
"""

__version__ = "0.2.0"
