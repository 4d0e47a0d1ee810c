"""Sign tracking shared by the crossover strategies."""


class SignFlip:
    """Remembers the last non-zero sign of a series and reports when it flips.

    `update(x)` returns +1 when x > 0 and the last non-zero value was negative, -1 for the
    opposite flip, else 0. A zero in between (lines touching) neither flips nor resets,
    so +, 0, + is not a crossing and -, 0, + is one."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last = 0

    def update(self, value: float) -> int:
        sign = 1 if value > 0.0 else -1 if value < 0.0 else 0
        if sign == 0:
            return 0
        flipped = sign if self._last == -sign else 0
        self._last = sign
        return flipped
