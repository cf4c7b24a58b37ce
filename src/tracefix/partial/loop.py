"""The loop that executes a fragment as far as it goes: run, read what was missing, supply it, run again.

Each run happens in the sandbox with every stand-in so far in its prelude (``standins.prelude``). After a run
that ended on something missing, the predictor supplies a stand-in for it (a later one for the same thing
replaces the earlier). The loop ends when a run completes, when a run ends on an error of the fragment's own
code (a bug it found: ``python`` would stop there too), when the predictor has nothing new for what is
missing, when the same thing was missing :data:`SAME_LIMIT` runs in a row without a new line running, or
after ``runs`` runs. For a function, the first run's call comes from the predictor, and a call that does not
fit the function (or is itself what fails) is asked for again.

When the loop has come to an end with lines not run, a predictor that can *explores*: it gives other values
(the rules: another value for one input that feeds the condition keeping a line from running; the model: the
values it writes for that line), and the loop goes on from there, up to the predictor's ``explore_limit``
times; values that ran no new line are taken back before the next. The ending and the error reported are
those of the loop's first end ("completed" when any run completed): an exploration's values are for
coverage, and what they break says nothing of the code.

The lines executed are those of the fragment's executable lines that ran in any run (a stand-in that made a
later run end sooner takes no line away).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from pydantic import Field

from tracefix.execution.limits import Limits
from tracefix.execution.partial import TIME_STOP, names_read, tainted
from tracefix.models.base import ModelError
from tracefix.partial.fragment import Fragment
from tracefix.partial.standins import StandIn, key, prelude
from tracefix.records import Missing, PartialRun, Record, Usage

SAME_LIMIT = 3
"""Runs in a row that may end on the same missing thing with no new line run before the loop gives up."""
RUNS = 60
"""Runs of one execution at most, by default."""
RUN_LIMITS = Limits(wall_s=2.0)
"""Each run's limits (a traced run's: five times these); a run past its time is stopped, its lines kept."""

Ending = Literal[
    "completed", "own error", "time", "killed", "nothing new", "no progress", "budget", "plain", "model error"
]


class Runner(Protocol):
    def run_partial(
        self, program: str, prelude: str, call: str = "", *, limits: Limits | None = None
    ) -> PartialRun: ...


class Predictor(Protocol):
    name: str

    def call(
        self, fragment: Fragment, run: PartialRun | None = None, tried: list[str] | None = None
    ) -> str | None: ...

    def standin(
        self,
        fragment: Fragment,
        missing: Missing,
        run: PartialRun,
        tried: list[StandIn],
        *,
        supplied: str = "",
        call: str = "",
    ) -> StandIn | None: ...


class FoundError(Record):
    line: int | None
    """The fragment's line where it arose (None: in a stand-in or in the call)."""
    type: str
    message: str
    own: bool
    """True: an error of the fragment's own code; False: caused by a stand-in or by what is still missing."""


class Step(Record):
    """One run of the loop and what was supplied after it."""

    run: PartialRun
    new_lines: list[int] = Field(default_factory=list)
    supplied: StandIn | None = None


class Execution(Record):
    """The result of executing one fragment."""

    path: str
    function: str | None
    predictor: str
    lines: list[int]
    executed: list[int]
    stand_ins: list[StandIn]
    call: str | None
    errors: list[FoundError]
    ending: Ending
    steps: list[Step]
    error: str | None = None
    """Why the model could not be asked (ending "model error"); what ran before is kept."""
    calls: int = 0
    usage: Usage = Field(default_factory=Usage)
    seconds: float = 0.0

    @property
    def coverage(self) -> float:
        return len(self.executed) / len(self.lines) if self.lines else 1.0


@dataclass
class _State:
    fragment: Fragment
    standins: dict[tuple[str, str], StandIn] = field(default_factory=dict)
    tried: list[StandIn] = field(default_factory=list)
    calls_tried: list[str] = field(default_factory=list)
    call: str = ""
    executed: dict[int, None] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    errors: list[FoundError] = field(default_factory=list)
    fixed: bool = False
    """The call is given (a test), not predicted."""
    explored: int = 0
    before: tuple[dict[tuple[str, str], StandIn], str, int] | None = None
    """The stand-ins, the call and the count of lines run before the last exploration."""
    end: tuple[Ending, PartialRun] | None = None
    """How the loop first came to an end, and on which run (explorations come after it)."""
    completed: bool = False
    """A run completed."""


def execute(
    fragment: Fragment,
    runner: Runner,
    predictor: Predictor | None,
    *,
    runs: int = RUNS,
    call: str | None = None,
    given: list[StandIn] | None = None,
    ran: list[int] | None = None,
    say: Callable[[str], None] = lambda text: None,
) -> Execution:
    """Execute ``fragment`` as far as ``predictor`` gets it (None: one plain run, nothing supplied). A model
    that fails (a server down, a script run out) ends the loop with what ran so far.

    ``call`` fixes the code run after the fragment (a test): it is not predicted, and an error of its own or
    a value the fragment rejects ends the loop like an error of the fragment's own code. ``given`` are
    stand-ins to start from (those another test needed), ``ran`` lines that already ran (an earlier
    execution's): they count as executed, and no value is sought for them."""
    started = time.monotonic()
    state = _State(fragment, fixed=call is not None, call=call or "")
    state.standins.update({(g.kind, g.name): g for g in given or []})
    state.executed.update(dict.fromkeys(ran or []))
    failure: str | None = None
    try:
        ending = _loop(state, runner, predictor, runs, say)
    except ModelError as exc:
        ending, failure = "model error", str(exc)
    last = state.end[1] if state.end is not None else state.steps[-1].run if state.steps else None
    if ending != "completed" and last is not None and last.error is not None and last.missing is not None:
        state.errors.append(_found(last, own=False))
    return Execution(
        path=fragment.path,
        function=fragment.function,
        predictor=predictor.name if predictor else "plain",
        lines=fragment.lines,
        executed=sorted(state.executed),
        stand_ins=list(state.standins.values()),
        call=state.call or None,
        errors=state.errors,
        ending=ending,
        steps=state.steps,
        error=failure,
        calls=getattr(predictor, "calls", 0),
        usage=getattr(predictor, "usage", Usage()),
        seconds=time.monotonic() - started,
    )


def _loop(
    state: _State, runner: Runner, predictor: Predictor | None, runs: int, say: Callable[[str], None]
) -> Ending:
    fragment = state.fragment
    prefix = getattr(predictor, "prefix", None) if not state.fixed else None
    first = prefix(fragment) if prefix is not None else None
    if first is not None:
        state.standins.update({(s.kind, s.name): s for s in first[0]})
        state.tried.extend(first[0])
        state.call = first[1] or ""
    if fragment.function is not None and not state.fixed and not state.call:
        state.call = (predictor.call(fragment) if predictor else None) or _plain_call(fragment)
    if state.call and not state.fixed:
        state.calls_tried.append(state.call)
    same: tuple[tuple[str, str], int] | None = None
    for _ in range(runs):
        code = prelude(list(state.standins.values()))
        run = runner.run_partial(fragment.source, code, state.call, limits=RUN_LIMITS)
        new = [line for line in fragment.counted(run.executed) if line not in state.executed]
        state.executed.update(dict.fromkeys(new))
        step = Step(run=run, new_lines=new)
        state.steps.append(step)
        say(_step_line(len(state.steps), run, new))
        missing = _missing(state, run)
        ending = _ending(state, run, missing, predictor)
        if ending is None:
            assert missing is not None
            thing = key(run.missing) if run.missing is not None else ("call", "")
            count = same[1] + 1 if same is not None and same[0] == thing and not new else 1
            same = (thing, count)
            ending = "no progress" if count > SAME_LIMIT else _supply(state, run, missing, step, predictor)
        if ending is None:
            continue
        if state.end is None:
            state.end = (ending, run)
        if ending in ("time", "killed") and not state.explored:
            break
        if state.fixed or predictor is None or not _explore(state, predictor):
            break
        same = None  # other values: a new start, not the same thing missing again
    else:
        if state.end is None:
            return "budget"
    assert state.end is not None
    return "completed" if state.completed else state.end[0]


def _missing(state: _State, run: PartialRun) -> Missing | None:
    """What ``run`` lacked: what the run read off its error, or, for an error on a value computed from the
    arguments of a predicted call, the call (it does not fit)."""
    if (
        run.missing is None
        and run.error is not None
        and not state.fixed
        and _invented_argument(state.fragment, run)
    ):
        return Missing(kind="call", name=run.error.type)
    return run.missing


def _ending(
    state: _State, run: PartialRun, missing: Missing | None, predictor: Predictor | None
) -> Ending | None:
    """How the loop would end after ``run``, which lacked ``missing`` (None: it goes on, something is
    missing); an error of the code's own is recorded."""
    if run.stopped is not None and run.stopped.startswith(TIME_STOP):
        return "time"
    if run.stopped is not None:  # the process died (os._exit, a signal, a limit): the run's lines are lost
        if not state.explored:  # with values of the rules' or the model's choosing, it says nothing
            state.errors.append(FoundError(line=None, type="killed", message=run.stopped, own=True))
        return "killed"
    if run.error is None or missing is None or (state.fixed and missing.kind in ("call", "input")):
        state.completed = state.completed or run.error is None
        if run.error is not None and (found := _found(run, own=True)) not in state.errors:
            state.errors.append(found)
        return "completed" if run.error is None else "own error"
    if predictor is None:
        return "plain"
    if missing.kind == "input" and state.fragment.function is None:
        return "nothing new"  # a snippet rejected an invented value: nothing says which one
    return None


def _supply(
    state: _State, run: PartialRun, missing: Missing, step: Step, predictor: Predictor | None
) -> Ending | None:
    """Supply what ``run`` was ``missing``: another call, or a stand-in (None: supplied, run again)."""
    assert predictor is not None
    fragment = state.fragment
    if missing.kind in ("call", "input"):
        next_call = predictor.call(fragment, run, state.calls_tried)
        if next_call is None:
            return "nothing new"
        state.call = next_call
        state.calls_tried.append(next_call)
        return None
    supplied = "\n".join(t.code.rstrip() for t in state.standins.values())
    made = predictor.standin(fragment, missing, run, state.tried, supplied=supplied, call=state.call)
    if made is None:
        return "nothing new"
    state.standins[(made.kind, made.name)] = made
    state.tried.append(made)
    step.supplied = made
    return None


def _explore(state: _State, predictor: Predictor) -> bool:
    """After a run that ended, ask for other values to run the lines that never ran (at most the predictor's
    ``explore_limit`` times). Values that ran no new line are taken back first. False: nothing to try."""
    missed = [line for line in state.fragment.lines if line not in state.executed]
    explore = getattr(predictor, "explore", None)
    if not missed or explore is None or state.explored >= getattr(predictor, "explore_limit", 0):
        return False
    if state.before is not None and state.before[2] == len(state.executed):
        state.standins, state.call = dict(state.before[0]), state.before[1]
    state.before = (dict(state.standins), state.call, len(state.executed))
    state.explored += 1
    names = [s for s in state.standins.values() if s.kind == "name"]
    found = explore(state.fragment, missed, names, state.call, list(state.executed))
    if found is None:
        return False
    revised, call = found
    for standin in revised:
        state.standins[(standin.kind, standin.name)] = standin
        state.tried.append(standin)
    if call:
        state.call = call
        state.calls_tried.append(call)
    return True


def then(first: Execution, second: Execution) -> Execution:
    """Two executions of one fragment as one: the lines either ran, the second's stand-ins, call and ending,
    both's errors, steps and costs."""
    errors = [*first.errors, *(e for e in second.errors if e not in first.errors)]
    return second.model_copy(
        update={
            "executed": sorted(set(first.executed) | set(second.executed)),
            "errors": errors,
            "steps": [*first.steps, *second.steps],
            "calls": first.calls + second.calls,
            "usage": first.usage + second.usage,
            "seconds": first.seconds + second.seconds,
        }
    )


def _invented_argument(fragment: Fragment, run: PartialRun) -> bool:
    """The run's error arose on a line of the function under test that reads a value computed from its
    parameters, which the predicted call invented: the call does not fit, it is no error of the code's own."""
    if fragment.function is None or run.error is None or run.where != "program" or run.error.line is None:
        return False
    read = names_read(fragment.source, run.error.line)
    return bool(read & tainted(fragment.source, {*fragment.parameters, *fragment.packed}))


def _plain_call(fragment: Fragment) -> str:
    """The call a plain run makes: the function with no arguments (as a user would try first)."""
    return f"{fragment.function}()"


def _found(run: PartialRun, *, own: bool) -> FoundError:
    assert run.error is not None
    line = run.error.line if run.where == "program" else None
    return FoundError(line=line, type=run.error.type, message=run.error.message, own=own)


def _step_line(number: int, run: PartialRun, new: list[int]) -> str:
    if run.error is None:
        how = run.stopped or "completed"
    else:
        how = f"{run.error.type}: {run.error.message}"
        if run.missing is not None:
            how += f" (missing {run.missing.kind} {run.missing.name})"
    return f"run {number}: {len(new)} new lines; {how}"
