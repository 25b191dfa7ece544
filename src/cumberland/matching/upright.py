"""Points between a picture's stored pixels and the picture as shown (its EXIF orientation).

Keypoints, regions and outlines of region search are in the stored pixels (what the single
decode gives); the workbench shows pictures upright (EXIF orientation applied), so a box drawn
there is turned back before searching and an outline is turned upright before drawing.
Coordinates are continuous (a pixel's centre is at +0.5), so the maps are exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Point = tuple[float, float]
Size = tuple[int, int]
SIDEWAYS = frozenset({5, 6, 7, 8})  # orientations that swap width and height

# orientation -> (stored point, stored size) -> the point in the upright picture
_UP: dict[int, Callable[[float, float, float, float], Point]] = {
    2: lambda x, y, w, h: (w - x, y),
    3: lambda x, y, w, h: (w - x, h - y),
    4: lambda x, y, w, h: (x, h - y),
    5: lambda x, y, w, h: (y, x),
    6: lambda x, y, w, h: (h - y, x),
    7: lambda x, y, w, h: (h - y, w - x),
    8: lambda x, y, w, h: (y, w - x),
}
INVERSE = {6: 8, 8: 6}  # the others undo themselves


def _orientation(value: object) -> int:
    return value if isinstance(value, int) and value in _UP else 1


def shown_size(size: Size, orientation: object) -> Size:
    """The upright picture's width and height."""
    return (size[1], size[0]) if _orientation(orientation) in SIDEWAYS else size


def to_upright(points: Sequence[Point], size: Size, orientation: object) -> list[Point]:
    """Stored-pixel points (of a picture of stored ``size``) as shown upright."""
    turn = _UP.get(_orientation(orientation))
    w, h = size
    return [turn(x, y, w, h) if turn else (x, y) for x, y in points]


def box_to_stored(box: tuple[float, float, float, float], size: Size,
                  orientation: object) -> tuple[float, float, float, float]:
    """A box ``x,y,w,h`` drawn on the upright picture, in the stored pixels."""
    o = _orientation(orientation)
    if o == 1:
        return box
    x, y, bw, bh = box
    turn = _UP[INVERSE.get(o, o)]
    w, h = shown_size(size, o)  # the inverse map starts from the upright picture
    corners = [turn(u, v, w, h) for u, v in ((x, y), (x + bw, y + bh))]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)
