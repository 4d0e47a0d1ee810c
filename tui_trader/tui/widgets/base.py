"""What every snapshot panel shares: the view context, the panel protocol and a DataTable
keyed by row id that repaints only the cells that changed."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from rich.text import Text
from textual.color import Color, ColorParseError
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from tui_trader.domain.enums import Severity
from tui_trader.snapshot import TraderSnapshot

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


class KeyedTable(DataTable[Cell]):
    """Rows keyed by a stable id (symbol, client order id). `sync` updates changed cells
    in place and rebuilds only when the set or order of rows changed."""

    def __init__(self, columns: Sequence[tuple[str, int]], *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self._column_keys = [label for label, _ in columns]
        self._rows: dict[str, tuple[Cell, ...]] = {}
        for label, width in columns:
            self.add_column(label, width=width, key=label)

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
        for key, cells in rows:
            previous = self._rows[key]
            if cells == previous:
                continue
            for column, new, old in zip(self._column_keys, cells, previous, strict=True):
                if new != old:
                    self.update_cell(key, column, new, update_width=False)
            self._rows[key] = cells

    def _rebuild(self, rows: Sequence[tuple[str, tuple[Cell, ...]]]) -> None:
        selected = self.selected_key
        self.clear()
        self._rows = {}
        for key, cells in rows:
            self.add_row(*cells, key=key)
            self._rows[key] = cells
        keys = list(self._rows)
        if selected in keys:
            self.move_cursor(row=keys.index(selected), animate=False)
