"""The one answer to "may this order go out now, and if not, why?".

Each thing that restricts trading (the kill switch, a stop, a reconciliation, a failing
journal, the exchange disagreeing, …) is a *hold* with a reason and a level. The trading
state is the strictest level among the holds in force:

- ACTIVE: every order may go out;
- REDUCING: only orders that reduce exposure (exits, closes, cancels);
- HALTED: only the operator's own closes and cancels.

Holds change only through `hold()` and `release()`, and every change is reported to one
listener (the trader records it as a safety event: old → new, reason, source). Pure and
synchronous: the live trader, the backtester and the tests use this very object."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from tui_trader.domain.enums import IntentPurpose


class TradingMode(IntEnum):
    """Ordered by strictness, so the state is the max over the holds."""

    ACTIVE = 0
    REDUCING = 1
    HALTED = 2


class HoldReason(StrEnum):
    KILL_SWITCH = "kill switch"
    STOPPED = "engine not running"
    ERROR = "engine in ERROR"
    RECONCILING = "reconciling"
    SWITCHING_VENUE = "switching market"
    EXCHANGE_DISAGREES = "exchange disagrees"
    JOURNAL_FAILED = "journal not writable"
    CIRCUIT_BREAKER = "circuit breaker"
    PROTECTION = "protection"


# The operator's own closes pass even a HALTED state; protective exits stop there.
_OPERATOR_CLOSES = frozenset({IntentPurpose.FLATTEN, IntentPurpose.MANUAL_CLOSE})


@dataclass(frozen=True, slots=True)
class Hold:
    reason: HoldReason
    level: TradingMode
    detail: str = ""
    source: str = ""

    @property
    def text(self) -> str:
        return f"{self.reason.value}: {self.detail}" if self.detail else self.reason.value


@dataclass(frozen=True, slots=True)
class TradingChange:
    """One change of the holds, as the listener hears it."""

    before: TradingMode
    after: TradingMode
    hold: Hold
    released: bool
    headline: str  # the state's headline after the change
    noticeable: bool  # the mode or the reason it shows changed (else a quiet change)

    @property
    def summary(self) -> str:
        verb = "released" if self.released else "held"
        move = (
            f"{self.before.name} → {self.after.name}"
            if self.before is not self.after
            else f"still {self.after.name}"
        )
        by = f" by {self.hold.source}" if self.hold.source else ""
        return f"{move}: {verb} {self.hold.text}{by}"


ChangeListener = Callable[[TradingChange], None]


class TradingState:
    def __init__(self, listener: ChangeListener | None = None) -> None:
        self._holds: dict[HoldReason, Hold] = {}
        self._mode = TradingMode.ACTIVE  # kept with the holds: read on every order
        self._listener = listener

    def listen(self, listener: ChangeListener) -> None:
        self._listener = listener

    # --- the only two ways to change it -----------------------------------------------
    def hold(
        self, reason: HoldReason, level: TradingMode, detail: str = "", source: str = ""
    ) -> None:
        """Put (or update) a hold. Setting the same hold again says nothing."""
        new = Hold(reason, level, detail, source)
        if self._holds.get(reason) == new:
            return
        before, shown = self.mode, self._shown()
        self._holds[reason] = new
        self._mode = self._strictest()
        self._tell(before, shown, new, released=False)

    def release(self, reason: HoldReason, source: str = "") -> None:
        before, shown = self.mode, self._shown()
        held = self._holds.pop(reason, None)
        if held is None:
            return
        self._mode = self._strictest()
        released = Hold(held.reason, held.level, held.detail, source or held.source)
        self._tell(before, shown, released, released=True)

    def _tell(self, before: TradingMode, shown: str, hold: Hold, released: bool) -> None:
        if self._listener is None:
            return
        noticeable = before is not self.mode or shown != self._shown()
        self._listener(TradingChange(before, self.mode, hold, released, self.headline, noticeable))

    def _shown(self) -> str:
        """The reason the headline names (the strictest, newest hold)."""
        holds = self.holds
        return holds[0].text if holds else ""

    # --- reading ------------------------------------------------------------------------
    @property
    def mode(self) -> TradingMode:
        return self._mode

    def _strictest(self) -> TradingMode:
        return max((h.level for h in self._holds.values()), default=TradingMode.ACTIVE)

    def held(self, reason: HoldReason) -> Hold | None:
        return self._holds.get(reason)

    @property
    def holds(self) -> tuple[Hold, ...]:
        """Strictest first, the newest first among equals: what the header names."""
        newest_first = reversed(self._holds.values())
        return tuple(sorted(newest_first, key=lambda h: -h.level))

    @property
    def entries_allowed(self) -> bool:
        return self.mode is TradingMode.ACTIVE

    @property
    def exits_allowed(self) -> bool:
        """May the core raise protective exits (stop-loss, take-profit, …)?"""
        return self.mode is not TradingMode.HALTED

    def refusal(self, purpose: IntentPurpose) -> str | None:
        """Why an order of this purpose may not go out now, else None."""
        mode = self.mode
        if mode is TradingMode.ACTIVE or purpose in _OPERATOR_CLOSES:
            return None
        if mode is TradingMode.REDUCING and purpose.is_exit:
            return None
        strictest = next(h for h in self.holds if h.level >= self._needed(purpose))
        return f"{mode.name}: {strictest.text}"

    @staticmethod
    def _needed(purpose: IntentPurpose) -> TradingMode:
        """The lowest level that refuses this purpose."""
        return TradingMode.HALTED if purpose.is_exit else TradingMode.REDUCING

    @property
    def headline(self) -> str:
        """`ACTIVE`, or the state and the strictest reason: `REDUCING: reconciling`."""
        holds = self.holds
        if not holds:
            return TradingMode.ACTIVE.name
        more = f" (+{len(holds) - 1})" if len(holds) > 1 else ""
        return f"{self.mode.name}: {holds[0].text}{more}"
