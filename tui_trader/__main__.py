"""`python -m tui_trader` is the same as the `tui-trader` command."""

from tui_trader.cli import main

raise SystemExit(main())
