"""What the risk manager sees for one check, and what it answers."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tui_trader.domain.enums import MarketKind
from tui_trader.domain.orders import Order
from tui_trader.domain.portfolio import Position
from tui_trader.domain.rules import SymbolRules


@dataclass(frozen=True, slots=True)
class RiskContext:
    """A consistent picture of the account, built by the trader for each check.

    `day_start_equity` is the equity at the start of the current UTC day (00:00 UTC);
    `reference_prices` are the latest market prices per symbol; `open_orders` are the
    orders still working at the broker."""

    now: datetime
    equity: Decimal
    day_start_equity: Decimal
    positions: Mapping[str, Position]
    open_orders: Sequence[Order]
    reference_prices: Mapping[str, Decimal]
    rules: Mapping[str, SymbolRules]
    breaker_tripped: frozenset[str]
    leverage: int
    market: MarketKind

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("RiskContext.now must be timezone-aware UTC")

    def position_qty(self, symbol: str) -> Decimal:
        position = self.positions.get(symbol)
        return position.quantity if position is not None else Decimal(0)

    def open_symbols(self) -> set[str]:
        """Symbols holding a position or a working entry order (a pending position)."""
        held = {symbol for symbol, pos in self.positions.items() if pos.is_open}
        pending = {o.symbol for o in self.open_orders if o.is_open and not o.purpose.is_exit}
        return held | pending


Explain = Callable[[], tuple[str, str, str]]  # value, limit, reason


class CheckResult:
    """One check with its numbers, as strings so the journal stores them verbatim.

    A check decides with numbers and describes itself only when read: `explain` makes
    the value, limit and reason text the first time one is asked for (a refusal's
    message, the journal's record), so a check that passes unread (a backtest's
    thousands of orders) never formats them."""

    __slots__ = ("_explain", "_text", "name", "passed")

    def __init__(
        self, name: str, passed: bool, value: str = "", limit: str = "", reason: str = ""
    ) -> None:
        self.name = name
        self.passed = passed
        self._text: tuple[str, str, str] | None = (value, limit, reason)
        self._explain: Explain | None = None

    @classmethod
    def lazy(cls, name: str, passed: bool, explain: Explain) -> "CheckResult":
        # Set directly, not through __init__: a dozen are made per order.
        result = object.__new__(cls)
        result.name, result.passed, result._text, result._explain = name, passed, None, explain
        return result

    def _described(self) -> tuple[str, str, str]:
        if self._text is None:
            assert self._explain is not None  # set together with _text = None
            self._text = self._explain()
        return self._text

    @property
    def value(self) -> str:
        return self._described()[0]

    @property
    def limit(self) -> str:
        return self._described()[1]

    @property
    def reason(self) -> str:
        return self._described()[2]

    def record(self) -> dict[str, object]:
        """The check as the journal stores it."""
        value, limit, reason = self._described()
        return {"name": self.name, "passed": self.passed, "value": value, "limit": limit,
                "reason": reason}  # fmt: skip

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CheckResult) and self.record() == other.record()

    def __hash__(self) -> int:
        return hash((self.name, self.passed))

    def __repr__(self) -> str:
        return f"CheckResult({self.name!r}, {self.passed}, {self.reason!r})"


@dataclass(frozen=True, slots=True)
class RiskDecision:
    approved: bool
    reason: str  # "approved" or the first refusal's reason
    checks: tuple[CheckResult, ...]

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(check for check in self.checks if not check.passed)
