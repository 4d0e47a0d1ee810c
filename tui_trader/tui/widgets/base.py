"""What every snapshot panel shares: the view context, the panel protocol and a DataTable
keyed by row id that repaints only the cells that changed and fits its columns to the
width it has."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple, Protocol, Self

from rich.text import Text
from textual import events
from textual.color import Color, ColorParseError
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable

from tui_trader.domain.enums import Severity
from tui_trader.snapshot import TraderSnapshot
from tui_trader.tui.literal import literal_cell

Cell = str | Text
WIDE_FROM = 160  # columns from which the screen is wide (one header line, two panes)
WIDE_KEY = "w"  # shows every column of every table, at full width (k9s: wide)


def _colour(variables: Mapping[str, str], name: str) -> str:
    try:
        return Color.parse(variables.get(name, "")).hex
    except ColorParseError:
        return "default"


@dataclass(frozen=True, slots=True)
class Palette:
    """Rich styles for cell text, taken from the current theme's variables."""

    up: str
    down: str
    live: str
    info: str
    warning: str
    critical: str
    muted: str

    @classmethod
    def from_variables(cls, variables: Mapping[str, str]) -> "Palette":
        return cls(
            up=_colour(variables, "price-up"),
            down=_colour(variables, "price-down"),
            live=_colour(variables, "live-mode"),
            info=_colour(variables, "severity-info"),
            warning=_colour(variables, "severity-warning"),
            critical=_colour(variables, "severity-critical"),
            muted=_colour(variables, "secondary"),
        )

    def direction(self, value: Decimal) -> str:
        return self.up if value > 0 else self.down if value < 0 else ""

    def severity(self, severity: Severity) -> str:
        if severity is Severity.CRITICAL:
            return f"bold {self.critical}"
        return self.warning if severity is Severity.WARNING else self.info


@dataclass(frozen=True, slots=True)
class View:
    """Everything a panel needs besides the snapshot: the time and the colours."""

    now: datetime
    palette: Palette


class SnapshotView(Protocol):
    """A panel the app repaints from snapshots. `shown_version` lets the app skip panels
    that already show the newest snapshot; -1 forces a repaint (theme change)."""

    shown_version: int

    @property
    def display(self) -> bool: ...

    def show(self, snapshot: TraderSnapshot, view: View) -> None: ...


def set_subtitle(widget: Widget, text: str) -> None:
    """Setting a border (sub)title repaints the whole widget, even to the same text."""
    if widget.border_subtitle != text:
        widget.border_subtitle = text


class Column(NamedTuple):
    """A table column. On a narrow terminal the columns with the highest `priority` are
    hidden first (0: never hidden); a column with a `min_width` gives up width (its cells
    end in "…") before any column is hidden."""

    label: str
    width: int
    priority: int = 0
    min_width: int = 0


ColumnSpec = Column | tuple[str, int]


def fit_columns(columns: Sequence[Column], room: int, padding: int) -> tuple[int | None, ...]:
    """The width of each column in `room` cells (each column also takes `padding`), or
    None for a column hidden to make room. Too narrow even with every optional column
    hidden, the rest keep their widths and the table scrolls sideways."""
    shown = list(range(len(columns)))

    def least(index: int) -> int:
        column = columns[index]
        return (column.min_width or column.width) + padding

    optional = [i for i, column in enumerate(columns) if column.priority > 0]
    for index in sorted(optional, key=lambda i: (-columns[i].priority, -i)):
        if sum(map(least, shown)) <= room:
            break
        shown.remove(index)
    widths = {i: columns[i].width for i in shown}
    excess = sum(width + padding for width in widths.values()) - room
    for index in reversed(shown):
        column = columns[index]
        if excess <= 0:
            break
        if column.min_width:
            cut = min(excess, column.width - column.min_width)
            widths[index] -= cut
            excess -= cut
    return tuple(widths.get(i) for i in range(len(columns)))


class KeyedTable(DataTable[Cell]):
    """Rows keyed by a stable id (symbol, client order id). `sync` updates changed cells
    in place and rebuilds only when the set or order of rows changed. Cells are compared
    as given but stored as literal `Text`: a `str` cell would be parsed as markup.

    DataTable.update_cell repaints the whole table; at 4 Hz with every price moving that
    re-sent every row to the terminal. Columns have fixed widths, so a changed cell
    cannot move its neighbours: `sync` drops that full repaint and asks for the cell's
    own region only, and the terminal gets just the cells that changed."""

    _cells_only = False  # DataTable.__init__ already refreshes

    def __init__(self, columns: Sequence[ColumnSpec], *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self._columns = tuple(Column(*column) for column in columns)
        self._widths: tuple[int | None, ...] = tuple(c.width for c in self._columns)
        self._column_keys: list[str] = []
        self._rows: dict[str, tuple[Cell, ...]] = {}
        self.wide = False  # every column at its full width; the table scrolls sideways
        self._add_columns()

    # --- columns that fit -----------------------------------------------------------
    @property
    def hidden_columns(self) -> list[str]:
        """Labels of the columns hidden for lack of width."""
        return [c.label for c, w in zip(self._columns, self._widths, strict=True) if w is None]

    @property
    def column_room(self) -> int:
        """Cells the columns may take: the table's width, less the vertical scrollbar."""
        scrollbar = self.styles.scrollbar_size_vertical if self.show_vertical_scrollbar else 0
        return self.size.width - scrollbar

    def on_resize(self, _event: events.Resize) -> None:
        self.fit()

    def watch_show_vertical_scrollbar(self) -> None:
        # Columns that fit never need the horizontal scrollbar, so this cannot flip back.
        self.fit()

    def fit(self) -> None:
        """Shows the columns that fit the table's width (all of them when wide)."""
        if self.size.width <= 0:
            return
        room = 1 << 16 if self.wide else self.column_room
        widths = fit_columns(self._columns, room, 2 * self.cell_padding)
        if widths == self._widths:
            return
        self._widths = widths
        selected, rows = self.selected_key, list(self._rows.items())
        self._rows = {}
        self.clear(columns=True)
        self._add_columns()
        self._rebuild(rows, selected)
        for panel in self.ancestors:
            if isinstance(panel, TablePanel):
                panel.refresh_subtitle()
                break

    def _add_columns(self) -> None:
        self._column_keys = []
        for column, width in zip(self._columns, self._widths, strict=True):
            if width is not None:
                self.add_column(column.label, width=width, key=column.label)
                self._column_keys.append(column.label)

    def _shown(self, cells: tuple[Cell, ...]) -> list[Cell]:
        return [c for c, w in zip(cells, self._widths, strict=True) if w is not None]

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        if self._cells_only and not (regions or layout or recompose):
            return self
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    @property
    def keys(self) -> list[str]:
        return list(self._rows)

    @property
    def selected_key(self) -> str | None:
        if not self._rows or self.cursor_row < 0:
            return None
        row_key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key
        return row_key.value

    def sync(self, rows: Sequence[tuple[str, tuple[Cell, ...]]]) -> None:
        if [key for key, _ in rows] != list(self._rows):
            self._rebuild(rows)
            return
        changed = False
        for row, (key, cells) in enumerate(rows):
            previous = self._rows[key]
            if cells == previous:
                continue
            for column, (name, new, old) in enumerate(
                zip(self._column_keys, self._shown(cells), self._shown(previous), strict=True)
            ):
                if new != old:
                    self._update_one(key, name, new)
                    self.refresh_coordinate(Coordinate(row, column))
            self._rows[key] = cells
            changed = True
        if changed:
            self._drop_stale_renders()

    def _drop_stale_renders(self) -> None:
        """DataTable (textual 8) keys its render caches by an update counter that only
        grows, so after an update every cached render is dead, yet it stays until LRU
        eviction: up to 10,000 cells and 2,000 rows and lines per table. Under a busy
        market that kept ~10^5 live objects per table, and each full garbage collection
        walked them all: pauses of 100-250 ms that a key press had to wait out."""
        for cache in (
            self._cell_render_cache,
            self._row_render_cache,
            self._row_renderable_cache,
            self._line_cache,
        ):
            cache.clear()

    def _update_one(self, key: str, column: str, value: Cell) -> None:
        self._cells_only = True
        try:
            self.update_cell(key, column, fitted_cell(value), update_width=False)
        finally:
            self._cells_only = False

    def _rebuild(
        self, rows: Sequence[tuple[str, tuple[Cell, ...]]], selected: str | None = None
    ) -> None:
        selected = selected or self.selected_key
        self.clear()
        self._rows = {}
        for key, cells in rows:
            self.add_row(*map(fitted_cell, self._shown(cells)), key=key)
            self._rows[key] = cells
        keys = list(self._rows)
        if selected in keys:
            self.move_cursor(row=keys.index(selected), animate=False)


def fitted_cell(cell: Cell) -> Text:
    """A cell as shown: literal, on one line, and ending in "…" where its column cuts it
    (a cut is never silent). The `Text` a row builder made is marked, not copied."""
    text = literal_cell(cell)
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


class TablePanel(Vertical):
    """A bordered panel of KeyedTables. Its subtitle carries its own note and, when its
    tables hide columns for lack of width, how many and the key that shows them all
    (`w`, wide, as in k9s: WIDE_KEY); in wide mode ← → scroll the tables sideways."""

    _note = ""

    def set_note(self, text: str) -> None:
        self._note = text
        self.refresh_subtitle()

    def refresh_subtitle(self) -> None:
        tables = [table for table in self.query(KeyedTable) if table.display]
        hidden = sum(len(table.hidden_columns) for table in tables)
        if any(table.wide for table in tables):
            hint = f"wide: ←→ scroll, {WIDE_KEY} fit"
        elif hidden:
            hint = f"+{hidden} col{'s' if hidden > 1 else ''} hidden: widen or {WIDE_KEY}"
        else:
            hint = ""
        set_subtitle(self, " · ".join(part for part in (self._note, hint) if part))

    def set_wide(self, wide: bool) -> None:
        for table in self.query(KeyedTable):
            table.wide = wide
            table.fit()
        self.refresh_subtitle()
