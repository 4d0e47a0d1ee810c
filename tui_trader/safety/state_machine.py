"""Engine state machine: IDLE → RUNNING → STOPPING → IDLE, ERROR after repeated failures.

Only the transitions listed in `_ALLOWED` exist; anything else raises, so a UI key pressed
at the wrong moment gets a clear refusal instead of a half-changed engine."""

from collections.abc import Callable

from tui_trader.domain.enums import EngineState

_ALLOWED: dict[EngineState, frozenset[EngineState]] = {
    EngineState.IDLE: frozenset({EngineState.RUNNING, EngineState.ERROR}),
    EngineState.RUNNING: frozenset({EngineState.STOPPING, EngineState.ERROR}),
    EngineState.STOPPING: frozenset({EngineState.IDLE, EngineState.ERROR}),
    EngineState.ERROR: frozenset({EngineState.IDLE}),
}

StateListener = Callable[[EngineState, EngineState, str], None]


class InvalidTransition(Exception):
    """The requested state change is not allowed from the current state."""


class EngineStateMachine:
    def __init__(self, max_consecutive_failures: int) -> None:
        self.state = EngineState.IDLE
        self.max_consecutive_failures = max_consecutive_failures
        self.consecutive_failures = 0
        self.last_error = ""
        self._listeners: list[StateListener] = []

    def subscribe(self, listener: StateListener) -> None:
        self._listeners.append(listener)

    def transition(self, target: EngineState, reason: str = "") -> None:
        if target not in _ALLOWED[self.state]:
            raise InvalidTransition(f"cannot go from {self.state} to {target}")
        previous, self.state = self.state, target
        for listener in self._listeners:
            listener(previous, target, reason)

    def start(self) -> None:
        self.transition(EngineState.RUNNING, "start requested")

    def begin_stop(self) -> None:
        self.transition(EngineState.STOPPING, "stop requested")

    def finish_stop(self) -> None:
        if self.state is EngineState.STOPPING:
            self.transition(EngineState.IDLE, "stopped")

    def reset(self) -> None:
        """Leave ERROR on an operator's request; the failure count starts again."""
        self.transition(EngineState.IDLE, "reset by operator")
        self.consecutive_failures = 0
        self.last_error = ""

    def record_success(self) -> None:
        self.consecutive_failures = 0

    def record_failure(self, error: str) -> bool:
        """Count a failure; returns True when this one moved the engine to ERROR."""
        self.consecutive_failures += 1
        self.last_error = error
        if (
            self.consecutive_failures >= self.max_consecutive_failures
            and self.state is not EngineState.ERROR
        ):
            self.transition(EngineState.ERROR, f"{self.consecutive_failures} failures: {error}")
            return True
        return False

    @property
    def trading(self) -> bool:
        return self.state is EngineState.RUNNING
