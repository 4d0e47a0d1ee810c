"""What every snapshot panel shares: the view context, the panel protocol and a DataTable
keyed by row id that repaints only the cells that changed."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol, Self

from rich.text import Text
from textual.color import Color, ColorParseError
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable

from tui_trader.domain.enums import Severity
from tui_trader.snapshot import TraderSnapshot
from tui_trader.tui.literal import literal_cell

Cell = str | Text


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


class KeyedTable(DataTable[Cell]):
    """Rows keyed by a stable id (symbol, client order id). `sync` updates changed cells
    in place and rebuilds only when the set or order of rows changed. Cells are compared
    as given but stored as literal `Text`: a `str` cell would be parsed as markup.

    DataTable.update_cell repaints the whole table; at 4 Hz with every price moving that
    re-sent every row to the terminal. Columns have fixed widths, so a changed cell
    cannot move its neighbours: `sync` drops that full repaint and asks for the cell's
    own region only, and the terminal gets just the cells that changed."""

    _cells_only = False  # DataTable.__init__ already refreshes

    def __init__(self, columns: Sequence[tuple[str, int]], *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self._column_keys = [label for label, _ in columns]
        self._rows: dict[str, tuple[Cell, ...]] = {}
        for label, width in columns:
            self.add_column(label, width=width, key=label)

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
                zip(self._column_keys, cells, previous, strict=True)
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
            self.update_cell(key, column, literal_cell(value), update_width=False)
        finally:
            self._cells_only = False

    def _rebuild(self, rows: Sequence[tuple[str, tuple[Cell, ...]]]) -> None:
        selected = self.selected_key
        self.clear()
        self._rows = {}
        for key, cells in rows:
            self.add_row(*map(literal_cell, cells), key=key)
            self._rows[key] = cells
        keys = list(self._rows)
        if selected in keys:
            self.move_cursor(row=keys.index(selected), animate=False)
