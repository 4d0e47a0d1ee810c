"""Outside text into widgets as rich `Text`, never as a markup string (invariant 10).

Textual parses a `str` as markup almost everywhere (Static, DataTable cells, toasts,
border titles): an LLM reasoning of "[/]" raised MarkupError and "[@click=app.quit]"
became a clickable action. A `Text` is shown as it is; its characters are made
printable first, so no escape sequence reaches the terminal either."""

from rich.text import Text

from tui_trader.text_safety import printable, printable_lines


def literal(text: str, style: str = "", limit: int | None = None) -> Text:
    """One line of outside text, shown literally."""
    return Text(printable(text, limit), style=style)


def literal_lines(text: str, style: str = "", limit: int | None = None) -> Text:
    """Outside text that may span lines (a dialog's detail), shown literally."""
    return Text(printable_lines(text, limit), style=style)


def literal_cell(cell: str | Text) -> Text:
    """A DataTable cell: a `str` would be parsed as markup, so it becomes a `Text`; a
    `Text` built around outside text loses any control characters it carries."""
    if isinstance(cell, str):
        return Text(printable(cell), no_wrap=True, end="")
    plain = cell.plain
    clean = printable(plain)
    if clean is plain:  # the common case: nothing to strip, nothing to copy
        return cell
    copy = cell.copy()
    copy.plain = clean
    return copy
