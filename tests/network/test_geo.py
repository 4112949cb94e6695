"""Distances: one point to many at once is the same as one pair at a time."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from omnicanal.network.geo import great_circle_km, great_circle_km_to

latitudes = st.floats(min_value=-90, max_value=90)
longitudes = st.floats(min_value=-180, max_value=180)
points = st.tuples(latitudes, longitudes)


@given(points, st.lists(points, max_size=20))
def test_distances_to_many_points_are_each_points_distance(origin, others):
    many = great_circle_km_to(*origin, [p[0] for p in others], [p[1] for p in others])

    assert len(many) == len(others)
    for distance, other in zip(many, others, strict=True):
        assert abs(distance - great_circle_km(*origin, *other)) < 1e-6


def test_lyon_to_paris_and_to_the_antipode():
    lyon, paris = (45.7640, 4.8357), (48.8566, 2.3522)

    to_paris, to_antipode = great_circle_km_to(*lyon, [paris[0], -lyon[0]], [paris[1], -175.1643])

    assert 390 < to_paris < 395
    assert abs(to_antipode - 20015.1) < 0.1
