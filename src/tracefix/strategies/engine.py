"""The debugging loop shared by every strategy.

Each iteration the strategy builds its prompt from the current program and its visible-test results, asks
the model, and returns a candidate program; the engine runs the visible tests on it and keeps going until
they all pass or the budget ends. What the engine does for every strategy alike, so comparisons are fair:
- a reply with no usable code, or a program the loop has already tried, is a failed attempt, and the model
  is asked once more with that said (at a higher temperature, so it does not repeat itself);
- the next iteration starts from the best program so far (most visible tests passed; ties keep the newest,
  or the oldest with the option ``ties=oldest``);
- model errors end the session with what was done so far kept, never lost.
The engine's own options (``retry``, ``ties``) are part of every strategy's options model
(``options.Options``), read here off the strategy. Hidden tests never reach this module: a ``Task`` carries
only visible tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from tracefix import __version__
from tracefix.models.base import Model, ModelError
from tracefix.records import (
    CFG,
    Attempt,
    CallTrace,
    GenParams,
    Message,
    Outcome,
    Reply,
    Session,
    Task,
    TestResult,
    Trace,
    Usage,
)
from tracefix.strategies.extract import extract_program, normalized
from tracefix.strategies.options import Options
from tracefix.strategies.tests import broken_reason
from tracefix.strategies.view import merged


class Runner(Protocol):
    """What the loop needs from the sandbox (``tracefix.execution.sandbox.Executor`` provides it)."""

    def run_tests(self, program: str, tests: list[str], *, prelude: str = "") -> list[TestResult]: ...

    def trace(
        self, program: str, entry: str, test: str, *, prelude: str = "", cfg: CFG | None = None
    ) -> Trace:
        """Trace ``entry`` on ``test``; ``cfg`` replaces the function's own block CFG (line level)."""
        ...

    def record_calls(self, program: str, test: str, *, prelude: str = "") -> CallTrace:
        """Run ``test`` with every call of the program's own functions recorded (arguments, results)."""
        ...


@dataclass
class Settings:
    """Knobs of a debugging run that are not the strategy's own (those are its options model's)."""

    max_iters: int = 10
    params: GenParams = field(default_factory=lambda: GenParams(max_tokens=768))
    retry_temperature: float = 0.7
    broken_tests: bool = True
    """Mark a failing test ``broken`` when the fault is in its own code (``tests.broken_reason``), and leave
    it aside. Only for tests that are whole code, as the benchmarks' and the CLI's asserts are; a pytest
    test's source refers to its module, so the repository mode turns this off."""


REPEATED = (
    "That program is the same as one already tried, and it fails the test. "
    "Change the code that produces the wrong value, and reply with the complete corrected "
    "program in one ```python block."
)
"""The engine's note after a reply whose program was already tried."""


class ModelFailure(Exception):
    """The model backend failed in a way that ends the session (unreachable, context overflow, ...)."""


@dataclass
class LoopState:
    """What the loop knows at the start of an iteration."""

    task: Task
    program: str
    results: list[TestResult]
    iteration: int = 0
    tried: list[str] = field(default_factory=list)
    """Normalised forms of every program tried so far, the seed first."""
    history: list[Attempt] = field(default_factory=list)

    @property
    def failing(self) -> list[TestResult]:
        return [r for r in self.results if not r.passed]


class Context:
    """The strategy's access to the model and the sandbox, with exact accounting of calls and tokens."""

    def __init__(
        self, model: Model, runner: Runner, task: Task, settings: Settings, options: Options | None = None
    ) -> None:
        self.model = model
        self.runner = runner
        self.task = task
        self.settings = settings
        self.options = options or Options()
        """The engine's options of the strategy being run (``retry``, ``ties``)."""
        self.calls = 0
        self.usage = Usage()
        self._tested: dict[tuple[str, tuple[str, ...]], list[TestResult]] = {}
        self._parent: Context | None = None
        self.traced: str | None = None
        """The function a strategy traces for the failing test, when the context fixes it (``derived``);
        None: the one the test calls."""

    def derived(self, task: Task, options: Options, *, traced: str | None = None) -> Context:
        """A context for a part of the work with its own task (a subfunction and its unit tests): the same
        model, sandbox and settings; its calls and tokens count here too, and runs already made are reused.
        ``traced`` fixes the function traced (a subfunction debugged on its caller's test)."""
        child = Context(self.model, self.runner, task, self.settings, options)
        child._parent = self
        child._tested = self._tested
        child.traced = traced
        return child

    def sample(self, n: int, seed: int) -> GenParams:
        """The parameters of request ``n`` (from 0) of a series: the settings' own for the first, the retry
        temperature with seed ``seed + n`` for the others (replies to compare or vote on, retried parses)."""
        base = self.settings.params
        if n == 0:
            return base
        return base.model_copy(update={"temperature": self.settings.retry_temperature, "seed": seed + n})

    def ask(self, messages: list[Message], params: GenParams | None = None) -> Reply:
        """One model call; backend errors become ``ModelFailure`` so the session can end cleanly."""
        try:
            reply = self.model.complete(messages, params or self.settings.params)
        except ModelError as exc:
            raise ModelFailure(str(exc)) from exc
        context: Context | None = self
        while context is not None:
            context.calls += 1
            context.usage = context.usage + reply.usage
            context = context._parent
        return reply

    def trace(self, program: str, test: str, cfg: CFG | None = None, *, entry: str | None = None) -> Trace:
        """Trace ``entry`` (the task's entry point unless given) on ``test``; ``cfg`` as ``Runner.trace``."""
        function = entry or self.task.entry_point
        if cfg is None:
            return self.runner.trace(program, function, test, prelude=self.task.prelude)
        return self.runner.trace(program, function, test, prelude=self.task.prelude, cfg=cfg)

    def record_calls(self, program: str, test: str) -> CallTrace:
        """The calls of the program's own functions while ``test`` runs (``Runner.record_calls``)."""
        return self.runner.record_calls(program, test, prelude=self.task.prelude)

    def run_tests(self, program: str, tests: list[str] | None = None) -> list[TestResult]:
        """Run the visible tests (or ``tests``); a failing test no program can pass is marked ``broken``.

        A program is run on the same tests once per session: the loop tests the program a strategy returns,
        which ``request_best`` has already tested to choose it (a candidate that times out costs the
        timeout each run), so the results of the first run are given again."""
        chosen = self.task.visible_tests if tests is None else tests
        key = (program, tuple(chosen))
        if key not in self._tested:
            self._tested[key] = self._run_tests(program, chosen)
        return self._tested[key]

    def _run_tests(self, program: str, chosen: list[str]) -> list[TestResult]:
        results = self.runner.run_tests(program, chosen, prelude=self.task.prelude)
        if not self.settings.broken_tests:
            return results
        setup = f"{self.task.prelude}\n{program}"
        return [
            r
            if r.passed
            else r.model_copy(
                update={"broken": broken_reason(r.test, entry_point=self.task.entry_point, setup=setup)}
            )
            for r in results
        ]

    def request_program(
        self,
        messages: list[Message],
        state: LoopState,
        attempt: Attempt,
        *,
        clean: Callable[[str], str] | None = None,
        on_repeat: Callable[[], list[Message] | None] | None = None,
        params: GenParams | None = None,
        whole_reply: bool = False,
    ) -> None:
        """Ask for a fixed program; on no code or an already-tried program, ask once more, saying why.

        ``clean`` tidies an extracted program before it is judged (e.g.
        drops prompt scaffolding the model copied). ``on_repeat`` may replace the second request after an
        already-tried program with a fresh one of its own (a new conversation, at the first request's
        temperature: the old reply is not there to be copied again); None keeps the engine's note.
        ``params`` replaces the settings' generation parameters for the first request (and a fresh one). Fills
        ``attempt.replies``, ``attempt.messages`` (the last request's), ``attempt.program`` and
        ``attempt.failure``. When the prompts show one function (``Task.shown``), of which the reply's is all
        that is read, the reply ends with that function (``GenParams.end_of``) unless ``whole_reply`` (the
        caller reads the reply's text for more).
        """
        attempt.messages = list(messages)
        params = self._ending(params or self.settings.params, whole_reply)
        reply = self.ask(messages, params)
        attempt.replies.append(reply)
        program, failure = self._judge(reply.text, state, clean)
        fresh = on_repeat() if failure == REPEATED and on_repeat and self.options.retry else None
        if fresh is not None:
            reply = self.ask(fresh, params)
            attempt.replies.append(reply)
            attempt.messages = fresh
            program, failure = self._judge(reply.text, state, clean)
        elif failure is not None and self.options.retry:
            retry = [
                *messages,
                Message(role="assistant", content=reply.text),
                Message(role="user", content=failure),
            ]
            again = params.model_copy(
                update={"temperature": self.settings.retry_temperature, "seed": params.seed + 1}
            )
            reply = self.ask(retry, again)
            attempt.replies.append(reply)
            attempt.messages = retry
            program, failure = self._judge(reply.text, state, clean)
        attempt.program = program
        attempt.failure = failure

    def _ending(self, params: GenParams, whole_reply: bool) -> GenParams:
        if self.task.shown != "function" or whole_reply:
            return params
        return params.model_copy(update={"end_of": self.task.entry_point.rpartition(".")[2]})

    def request_best(
        self,
        messages: list[Message],
        state: LoopState,
        attempt: Attempt,
        samples: list[GenParams],
        *,
        clean: Callable[[str], str] | None = None,
    ) -> None:
        """Ask once per ``samples`` entry (``request_program``), keep the program passing most visible tests.

        Sampling stops at the first program that passes every visible test (but broken ones, ``_done``). Each sampled program counts as
        tried, so a later sample that repeats it is asked again like any repeated reply. Every reply is
        kept in ``attempt.replies`` (exact accounting); ``attempt.program`` is the best one, the earliest
        on ties."""
        best: tuple[int, str] | None = None
        failure: str | None = None
        for params in samples:
            trial = Attempt(iteration=attempt.iteration)
            self.request_program(messages, state, trial, clean=clean, params=params)
            attempt.replies.extend(trial.replies)
            attempt.messages = trial.messages
            if trial.program is None:
                failure = trial.failure
                continue
            results = self.run_tests(trial.program)
            passed = _passed(results)
            state.tried.append(normalized(trial.program))
            if best is None or passed > best[0]:
                best = (passed, trial.program)
            if _done(results):
                break
        attempt.program = best[1] if best else None
        attempt.failure = None if best else failure

    def _judge(
        self, text: str, state: LoopState, clean: Callable[[str], str] | None = None
    ) -> tuple[str | None, str | None]:
        entry = self.task.entry_point
        extraction = extract_program(text, entry, state.program)
        if extraction.program is None and self.task.shown == "function" and "." in entry:
            extraction = extract_program(text, entry.rpartition(".")[2])  # the shown method, given bare
        if extraction.program is not None and clean is not None:
            extraction = replace(extraction, program=clean(extraction.program))
        if extraction.program is not None:
            extraction = replace(extraction, program=merged(state.program, extraction.program, self.task))
        if extraction.program is None:
            return None, (
                f"Your reply had no usable program ({extraction.failure}). Reply with the complete "
                f"corrected program, defining `{self.task.entry_point}`, in one ```python block."
            )
        if normalized(extraction.program) in state.tried:
            return None, REPEATED
        return extraction.program, None


class Strategy(Protocol):
    """A debugging strategy: one iteration's prompt and reading of the reply.

    ``name`` is the spec that built it, in canonical form (results are labelled with it); ``level`` is what
    the session record says of the evidence shown (``block/hole`` for ldb's default)."""

    @property
    def name(self) -> str: ...

    @property
    def level(self) -> str: ...

    @property
    def options(self) -> Options: ...

    def attempt(self, ctx: Context, state: LoopState) -> Attempt: ...


def _passed(results: list[TestResult]) -> int:
    return sum(r.passed for r in results)


def _done(results: list[TestResult]) -> bool:
    """Nothing left to debug: every visible test passes but the broken ones, which no program can pass."""
    return all(r.passed or r.broken is not None for r in results)


def _uncallable(results: list[TestResult]) -> bool:
    """A failing test could not call the program: a ``NameError`` raised in the test's own code."""
    return any(
        not r.passed and r.exception is not None and r.exception.type == "NameError" and r.exception.in_test
        for r in results
    )


def _outcome(results: list[TestResult]) -> Outcome:
    return "fixed" if all(r.passed for r in results) else "broken_tests"


def run_loop(
    strategy: Strategy,
    task: Task,
    program: str,
    model: Model,
    runner: Runner,
    settings: Settings,
    *,
    on_attempt: Callable[[Attempt], None] | None = None,
) -> Session:
    """Debug ``program`` until its visible tests pass or ``settings.max_iters`` iterations are spent."""
    start = time.monotonic()
    ctx = Context(model, runner, task, settings, strategy.options)
    keep_newest = strategy.options.ties == "newest"
    initial = ctx.run_tests(program)
    state = LoopState(task, program, initial, tried=[normalized(program)])
    best = (program, initial)
    error: str | None = None
    if _done(initial):
        outcome: Outcome = "already_passing" if all(r.passed for r in initial) else "broken_tests"
        return _session(strategy, task, program, initial, [], program, outcome, ctx, start)
    while state.iteration < settings.max_iters:
        began = time.monotonic()
        try:
            attempt = strategy.attempt(ctx, state)
        except ModelFailure as exc:
            error = str(exc)
            break
        attempt.iteration = state.iteration
        attempt.start_program = state.program
        if attempt.program is not None:
            attempt.test_results = ctx.run_tests(attempt.program)
            state.tried.append(normalized(attempt.program))
            gained, kept = _passed(attempt.test_results), _passed(best[1])
            # A quick fix (``note``) removed an error that stopped the program, and a program the tests can
            # call beats one they cannot: either wins ties, whichever way ties go.
            further = attempt.note is not None or (
                _uncallable(best[1]) and not _uncallable(attempt.test_results)
            )
            if gained > kept or (gained == kept and (keep_newest or further)):
                best = (attempt.program, attempt.test_results)
        attempt.usage = sum((r.usage for r in attempt.replies), Usage())
        attempt.duration_s = time.monotonic() - began
        state.history.append(attempt)
        if on_attempt is not None:
            on_attempt(attempt)
        if attempt.program is not None and _done(attempt.test_results):
            break
        state.program, state.results = best
        state.iteration += 1
    final, final_results = best
    ended: Outcome = _outcome(final_results) if _done(final_results) else ("error" if error else "failed")
    session = _session(strategy, task, program, initial, state.history, final, ended, ctx, start)
    session.error = error
    return session


def _session(
    strategy: Strategy,
    task: Task,
    program: str,
    initial: list[TestResult],
    attempts: list[Attempt],
    final: str,
    outcome: Outcome,
    ctx: Context,
    start: float,
) -> Session:
    return Session.model_validate(
        {
            "task": task,
            "strategy": strategy.name,
            "level": strategy.level,
            "model": getattr(ctx.model, "name", ""),
            "initial_program": program,
            "initial_results": initial,
            "attempts": attempts,
            "final_program": final,
            "outcome": outcome,
            "usage": ctx.usage,
            "calls": ctx.calls,
            "duration_s": time.monotonic() - start,
            "tracefix_version": __version__,
        }
    )
