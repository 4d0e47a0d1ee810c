"""An equity curve drawn with block characters, for terminals without graphics."""

from collections.abc import Sequence

_BLOCKS = " ▁▂▃▄▅▆▇█"
_STEPS = len(_BLOCKS) - 1  # eighths of a row


def downsample(values: Sequence[float], width: int) -> list[float]:
    """`width` points (fewer when there are fewer values): the last value of each of
    `width` equal slices, so the final point is the final equity."""
    count = len(values)
    if count <= width:
        return list(values)
    return [values[(i + 1) * count // width - 1] for i in range(width)]


def area_chart(values: Sequence[float], width: int = 72, height: int = 10) -> list[str]:
    """Rows of an area chart, top row first, each prefixed with a y-axis label (the top
    row shows the maximum, the bottom row the minimum). Empty input gives no rows."""
    points = downsample(values, width)
    if not points or height < 1:
        return []
    low, high = min(points), max(points)
    span = high - low
    full = height * _STEPS
    # A flat curve fills one row; otherwise the minimum still shows as one eighth.
    levels = [_STEPS if span == 0 else 1 + round((p - low) / span * (full - 1)) for p in points]
    labels = [f"{high:,.2f}", *([""] * (height - 2)), f"{low:,.2f}"] if height > 1 else [""]
    pad = max(len(label) for label in labels)
    rows = []
    for row in range(height):
        floor = (height - 1 - row) * _STEPS
        cells = "".join(_BLOCKS[min(max(level - floor, 0), _STEPS)] for level in levels)
        rows.append(f"{labels[row]:>{pad}} │{cells}")
    return rows
