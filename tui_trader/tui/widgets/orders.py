"""Orders (open first, then recent, status-coloured, with client ids) and fills."""

from datetime import UTC

from rich.text import Text
from textual.app import ComposeResult

from tui_trader.domain.enums import OrderStatus, Side
from tui_trader.domain.orders import Fill, Order
from tui_trader.snapshot import OrderStreamView, TraderSnapshot
from tui_trader.tui import format as fmt
from tui_trader.tui.literal import literal
from tui_trader.tui.widgets.base import Cell, Column, KeyedTable, Palette, TablePanel, View

# Orders and fills carry market time; the header clock is wall time. Narrow, the highest
# priority numbers are hidden first (the client id gives up width before): at 80 columns
# the orders' client id and time.
ORDER_COLUMNS = (
    Column("Mkt time", 8, 4),
    Column("Symbol", 7),
    Column("Side", 4),
    Column("Qty", 9),
    Column("Price", 9, 1),
    Column("Filled", 9, 2),
    Column("Status", 8),
    Column("Client id", 27, 5, min_width=12),
    Column("Purpose", 13, 3),
)
FILL_COLUMNS = (
    Column("Mkt time", 8, 4),
    Column("Symbol", 7),
    Column("Side", 4),
    Column("Qty", 9),
    Column("Price", 9),
    Column("Fee", 14, 2),
    Column("Client id", 27, 5, min_width=12),
)
# Short forms so the status column stays narrow.
STATUS_TEXT = {OrderStatus.PARTIALLY_FILLED: "PARTIAL", OrderStatus.CANCELED: "CANCELED"}


def _status_style(status: OrderStatus, palette: Palette) -> str:
    if status is OrderStatus.FILLED:
        return palette.up
    if status is OrderStatus.REJECTED:
        return f"bold {palette.critical}"
    if status in (OrderStatus.CANCELED, OrderStatus.EXPIRED):
        return palette.muted
    return f"bold {palette.info}"


def _side(side: Side, palette: Palette) -> Text:
    return Text(side.value, style=palette.up if side is Side.BUY else palette.down)


def order_row(order: Order, view: View) -> tuple[Cell, ...]:
    shown_price = order.average_price if order.average_price else order.price
    return (
        fmt.clock(order.updated_at),
        order.symbol,
        _side(order.side, view.palette),
        Text(fmt.qty(order.quantity), justify="right"),
        Text(fmt.optional_price(shown_price), justify="right"),
        Text(fmt.qty(order.filled_quantity), justify="right"),
        Text(
            "QUEUED" if order.queued else STATUS_TEXT.get(order.status, order.status.value),
            style=_status_style(order.status, view.palette),
        ),
        order.client_order_id,
        f"foreign {order.type_label}" if order.is_foreign else order.purpose.value,
    )


def fill_row(fill: Fill, view: View) -> tuple[Cell, ...]:
    return (
        fmt.clock(fill.ts),
        fill.symbol,
        _side(fill.side, view.palette),
        Text(fmt.qty(fill.quantity), justify="right"),
        Text(fmt.price(fill.price), justify="right"),
        Text(f"{fill.fee:.4f} {fill.fee_asset}", justify="right"),
        fill.client_order_id,
    )


def orders_in_view(snapshot: TraderSnapshot) -> list[Order]:
    """Open orders first (newest first), then recent final ones, each order once."""
    seen = {order.client_order_id for order in snapshot.open_orders}
    recent = [order for order in snapshot.recent_orders if order.client_order_id not in seen]
    return [*snapshot.open_orders, *recent]


TITLE = "Orders & fills"
DETAIL_CELLS = 22  # the venue's words kept beside a stream that is down (fits 80 columns)


def fills_path(stream: OrderStreamView, palette: Palette, named: bool = False) -> Text:
    """How fills arrive on one connection, calmly: "fills: stream", or "fills: polling
    since 14:02 UTC (lost: connection closed)" in the warning colour. `named`: several
    connections, each says its venue. The detail is the venue's words, shown literally."""
    prefix = f"{stream.venue} fills" if named else "fills"
    if stream.state == "streaming":
        return Text(f"{prefix}: stream")
    if stream.state == "off":
        return Text(f"{prefix}: stream off", style=palette.muted)
    since = f" since {stream.since.astimezone(UTC):%H:%M} UTC" if stream.since else ""
    text = Text(f"{prefix}: {stream.state}{since}", style=palette.warning)
    if stream.detail:
        text.append_text(literal(f" ({stream.detail}", palette.warning, DETAIL_CELLS))
        text.append(")", style=palette.warning)
    return text


def orders_title(streams: tuple[OrderStreamView, ...], palette: Palette) -> Text:
    """The panel's title with the order path (nothing more on paper: no stream there)."""
    title = Text(TITLE)
    for stream in streams:
        title.append(" · ")
        title.append_text(fills_path(stream, palette, named=len(streams) > 1))
    return title


class OrdersPanel(TablePanel):
    shown_version = -1

    def __init__(self) -> None:
        super().__init__(id="orders", classes="panel tab-panel")
        self.border_title = TITLE
        self.title_text = Text(TITLE)  # what the border shows, as plain text in tests
        self._title_key: object = None

    def compose(self) -> ComposeResult:
        yield KeyedTable(ORDER_COLUMNS, id="orders-table")
        yield KeyedTable(FILL_COLUMNS, id="fills-table")

    @property
    def selected_order(self) -> str | None:
        return self.query_one("#orders-table", KeyedTable).selected_key

    def table_keys(self) -> list[str]:
        """Client order ids in the order shown."""
        return self.query_one("#orders-table", KeyedTable).keys

    def show(self, snapshot: TraderSnapshot, view: View) -> None:
        orders = [(o.client_order_id, order_row(o, view)) for o in orders_in_view(snapshot)]
        self.query_one("#orders-table", KeyedTable).sync(orders)
        fills = [(f"{f.client_order_id}/{f.trade_id}", fill_row(f, view)) for f in snapshot.fills]
        self.query_one("#fills-table", KeyedTable).sync(fills)
        self.set_note(f"{len(snapshot.open_orders)} open · {len(snapshot.fills)} fills")
        self._show_title(snapshot.order_streams, view.palette)

    def _show_title(self, streams: tuple[OrderStreamView, ...], palette: Palette) -> None:
        # a new title repaints the panel: only when it says something new
        if (streams, palette) != self._title_key:
            self._title_key = (streams, palette)
            self.title_text = orders_title(streams, palette)
            self.border_title = self.title_text
