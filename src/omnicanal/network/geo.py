"""Distances on the Earth's surface."""

from __future__ import annotations

from collections.abc import Sequence
from math import asin, cos, radians, sin, sqrt

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres (haversine)."""
    phi1, phi2 = radians(lat1), radians(lat2)
    dphi = phi2 - phi1
    dlambda = radians(lon2 - lon1)
    a = sin(dphi / 2) ** 2 + cos(phi1) * cos(phi2) * sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(a)))


def great_circle_km_to(
    latitude: float, longitude: float, latitudes: Sequence[float], longitudes: Sequence[float]
) -> np.ndarray:
    """Great-circle distances in kilometres from one point to many, as one array: the
    haversine of :func:`great_circle_km` on all of them at once."""
    phi1, phi2 = np.radians(latitude), np.radians(np.asarray(latitudes, dtype=np.float64))
    dphi = phi2 - phi1
    dlambda = np.radians(np.asarray(longitudes, dtype=np.float64) - longitude)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlambda / 2) ** 2
    result: np.ndarray = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    return result
