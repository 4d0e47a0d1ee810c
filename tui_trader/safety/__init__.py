"""Kill switch and engine state machine."""
