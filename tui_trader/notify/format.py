"""Plain-text renderings of a trader snapshot for chat messages (no markup: Slack and
Telegram show it as is, and nothing needs escaping)."""

from datetime import datetime
from decimal import Decimal

from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.money import minor_units, quote_places
from tui_trader.domain.orders import Order
from tui_trader.ops.metrics import feed_age_s
from tui_trader.snapshot import TraderSnapshot


def money(value: Decimal, places: int = 2) -> str:
    """Places: the quote asset's minor unit (domain/money.py): KRW has none."""
    return f"{value:.{places}f}"


def signed(value: Decimal, places: int = 2) -> str:
    return f"{value:+.{places}f}"


def order_line(order: Order) -> str:
    price = f" @ {order.price}" if order.price is not None else ""
    purpose = "foreign" if order.is_foreign else order.purpose
    return f"{order.side} {order.quantity} {order.symbol}{price} {order.type_label} ({purpose})"


def filled_line(order: Order) -> str:
    return (
        f"filled: {order.side} {order.filled_quantity} {order.symbol} @ {order.average_price} "
        f"({order.purpose}, {order.client_order_id})"
    )


def rejected_line(order: Order) -> str:
    return f"rejected: {order_line(order)}: {order.reason or 'no reason given'}"


def safety_line(event: SafetyEvent) -> str:
    where = f" {event.symbol}" if event.symbol else ""
    return f"{event.severity} {event.kind}{where}: {event.message}"


def pnl_text(snap: TraderSnapshot) -> str:
    a = snap.account
    n = minor_units(a.quote_asset)
    return "\n".join(
        [
            f"equity {money(a.equity, n)} {a.quote_asset} (cash {money(a.cash, n)})",
            f"day PnL {signed(a.day_pnl, n)}, drawdown {a.drawdown_pct:.2f}%",
            f"realized {signed(a.realized_pnl, n)}, unrealized {signed(a.unrealized_pnl, n)}, "
            f"fees {money(a.fees_paid, n)}",
        ]
    )


def positions_text(snap: TraderSnapshot) -> str:
    if not snap.positions:
        return "no open positions"
    lines = []
    for view in snap.positions:
        p = view.position
        stops = f" SL {view.stop_loss}" if view.stop_loss is not None else ""
        stops += f" TP {view.take_profit}" if view.take_profit is not None else ""
        lines.append(
            f"{p.symbol} {p.quantity} @ {p.average_entry} mark {p.mark_price} "
            f"uPnL {signed(p.unrealized_pnl, quote_places(p.symbol))} "
            f"({p.unrealized_pct:+.2f}%){stops}"
        )
    return "\n".join(lines)


def orders_text(snap: TraderSnapshot) -> str:
    if not snap.open_orders:
        return "no open orders"
    return "\n".join(
        f"{o.client_order_id} {order_line(o)} {o.status} filled {o.filled_quantity}"
        for o in snap.open_orders
    )


def status_text(snap: TraderSnapshot, now: datetime) -> str:
    kill = f"ACTIVE ({snap.kill_reason})" if snap.kill_switch_active else "off"
    feeds = []
    for feed in snap.feeds:
        age = feed_age_s(feed.last_event_at, now)
        shown = "no data yet" if age is None else f"{age:.1f} s ago"
        feeds.append(f"{feed.name} {'up' if feed.connected else 'DOWN'}, last event {shown}")
    n = minor_units(snap.account.quote_asset)
    lines = [
        f"{snap.mode} {snap.market.value}: engine {snap.engine_state}, kill switch {kill}",
        f"equity {money(snap.account.equity, n)} {snap.account.quote_asset}, "
        f"day PnL {signed(snap.account.day_pnl, n)}",
        f"positions {len(snap.positions)}, open orders {len(snap.open_orders)}",
        *feeds,
    ]
    if snap.last_error:
        lines.append(f"last error: {snap.last_error}")
    return "\n".join(lines)


def summary_text(
    day: datetime, snap: TraderSnapshot, since: datetime, start_equity: Decimal, fills: int
) -> str:
    a = snap.account
    n = minor_units(a.quote_asset)
    return "\n".join(
        [
            f"[{snap.mode}] daily summary {day:%Y-%m-%d} (UTC)",
            f"equity {money(a.equity, n)} {a.quote_asset} ({signed(a.equity - start_equity, n)} "
            f"since {since:%Y-%m-%d %H:%M} UTC)",
            f"realized {signed(a.realized_pnl, n)}, unrealized {signed(a.unrealized_pnl, n)}, "
            f"fees {money(a.fees_paid, n)}",
            f"trades: {fills} fills",
            f"open positions: {positions_text(snap)}",
        ]
    )
