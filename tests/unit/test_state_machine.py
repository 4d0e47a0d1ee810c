import pytest

from tui_trader.domain.enums import EngineState
from tui_trader.safety.state_machine import EngineStateMachine, InvalidTransition


def test_full_cycle_and_listener() -> None:
    machine = EngineStateMachine(max_consecutive_failures=3)
    seen: list[tuple[EngineState, EngineState]] = []
    machine.subscribe(lambda old, new, _reason: seen.append((old, new)))
    machine.start()
    assert machine.trading
    machine.begin_stop()
    machine.finish_stop()
    assert machine.state is EngineState.IDLE
    assert seen == [
        (EngineState.IDLE, EngineState.RUNNING),
        (EngineState.RUNNING, EngineState.STOPPING),
        (EngineState.STOPPING, EngineState.IDLE),
    ]


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        ([], EngineState.STOPPING),
        ([EngineState.RUNNING], EngineState.IDLE),
        ([EngineState.RUNNING], EngineState.RUNNING),
        ([EngineState.RUNNING, EngineState.STOPPING], EngineState.RUNNING),
        ([EngineState.ERROR], EngineState.RUNNING),
    ],
)
def test_forbidden_transitions_raise(path: list[EngineState], bad: EngineState) -> None:
    machine = EngineStateMachine(3)
    for state in path:
        machine.transition(state)
    before = machine.state
    with pytest.raises(InvalidTransition):
        machine.transition(bad)
    assert machine.state is before


def test_error_after_consecutive_failures_only() -> None:
    machine = EngineStateMachine(max_consecutive_failures=3)
    machine.start()
    assert not machine.record_failure("a")
    assert not machine.record_failure("b")
    machine.record_success()  # the run of failures is broken
    assert not machine.record_failure("c")
    assert not machine.record_failure("d")
    assert machine.record_failure("e")
    assert machine.state is EngineState.ERROR
    assert machine.last_error == "e"
    assert not machine.record_failure("f")  # already in ERROR: no second transition


def test_reset_from_error_clears_failures() -> None:
    machine = EngineStateMachine(max_consecutive_failures=1)
    machine.record_failure("boom")
    assert machine.state is EngineState.ERROR
    machine.reset()
    assert machine.state is EngineState.IDLE
    assert machine.consecutive_failures == 0
    assert machine.last_error == ""
    with pytest.raises(InvalidTransition):
        machine.reset()  # reset is only for ERROR


def test_finish_stop_is_a_no_op_unless_stopping() -> None:
    machine = EngineStateMachine(3)
    machine.finish_stop()
    assert machine.state is EngineState.IDLE
