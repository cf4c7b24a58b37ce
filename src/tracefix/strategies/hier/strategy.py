"""The ``hierarchical`` strategy: MGDebugger's bottom-up debugging of subfunctions, on real calls.

Each iteration:

1. **The hierarchy.** The program's own functions reachable from the entry point, leaves first
   (``analysis/callgraph.py``). A monolithic entry point may first be restructured by the model into subfunctions
   (``decompose``, MGDebugger's step); the restructured program is used only when every visible test gives
   the same outcome on it as on the original, else the original is kept and the record says why.
2. **Real calls.** The first failing visible test runs with every call of the program's functions recorded
   (``execution.calls``): arguments, result or exception, caller.
3. **Bottom-up verdicts.** For each subfunction, leaves first, the model judges its recorded calls against the
   task (``judge.py``): which returned something wrong, and what it should have returned; ``samples``
   replies are drawn and a call counts as wrong only when ``agree`` of them name the same value. Each agreed
   call becomes a unit test of the subfunction with the recorded arguments.
4. **Debug where it is wrong.** The first subfunction with unit tests is debugged on them with ldb's default
   format at its level (its own block trace on its own failing unit test), the fix merged into the program. It
   is kept only when it passes more of its unit tests and breaks no visible test that passed; else, or when
   no subfunction was found wrong (or there are none), the entry point is debugged as ``ldb`` debugs it.

The visible tests stay the only feedback and the only stopping rule (the engine's); the unit tests come from
the model's verdicts on real calls, never from hidden tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Self

from pydantic import Field, model_validator

from tracefix.analysis.callgraph import Tree, call_tree
from tracefix.records import Attempt, CallTrace, Hierarchy, SubfunctionCheck, Task, TestResult
from tracefix.strategies import view
from tracefix.strategies.common import failing_test
from tracefix.strategies.engine import Context, LoopState
from tracefix.strategies.extract import normalized
from tracefix.strategies.hier import decompose, judge
from tracefix.strategies.ldb.hole import Hole, HoleOptions
from tracefix.strategies.options import Options
from tracefix.strategies.tests import describe_failure

JUDGE_SEED = 200
"""Offset of the judging samples' seeds from the run's seed."""


class HierarchicalOptions(Options):
    """hierarchical: subfunctions checked bottom-up on their real calls, the wrong one debugged on its own."""

    ties: Literal["newest", "oldest"] = Field(
        default="oldest",
        description="the program the next iteration starts from when a new one passes as many visible tests "
        "as the best so far (oldest, as ldb: the entry point's fallback cuts another part each time)",
    )
    decompose: bool = Field(
        default=True,
        description="a monolithic entry point is first restructured into subfunctions by the model, used "
        "only when every visible test gives the same outcome on it",
    )
    samples: int = Field(
        default=3, ge=1, le=9, description="judging replies drawn per subfunction (the first greedy)"
    )
    agree: int = Field(
        default=2,
        ge=1,
        le=9,
        description="replies that must name the same expected value for a call to count as wrong",
    )
    calls: int = Field(
        default=6, ge=1, le=20, description="recorded calls of a subfunction shown to the judge (distinct)"
    )
    tries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="subfunctions debugged per iteration before the entry point (those judged wrong first, "
        "then the others bottom-up); a fix is kept when it passes more of its unit tests or visible tests",
    )

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.agree > self.samples:
            raise ValueError(f"agree={self.agree} needs at least as many samples (samples={self.samples})")
        return self


@dataclass
class Hierarchical:
    options: HierarchicalOptions
    name: str
    level: str = "hierarchical"
    _decomposed: dict[str, decompose.Decomposition] = field(default_factory=dict, init=False, repr=False)
    """Original program -> its decomposition (asked once per program)."""

    def attempt(self, ctx: Context, state: LoopState) -> Attempt:
        attempt = Attempt(iteration=state.iteration)
        entry = ctx.task.entry_point
        record = Hierarchy(entry=entry)
        attempt.hierarchy = record
        try:
            tree = call_tree(state.program, entry)
        except SyntaxError:
            record.notes.append("the program does not parse: the entry point is debugged as ldb does")
            return self._entry(ctx, state, attempt)
        base = state.program
        if not tree.helpers and self.options.decompose and ctx.task.shown == "program":
            base, tree = self._decompose(ctx, state, attempt, record, tree)
        record.order, record.edges = list(tree.order), tree.edges()
        if not tree.helpers:
            record.notes.append(f"`{entry}` calls no other function of the program")
            return self._entry(ctx, state, attempt)
        failing = failing_test(state)
        calls = ctx.record_calls(base, failing.test)
        record.calls = calls
        done = _debugged_before(state)
        helpers = [h for h in tree.helpers if h not in done]
        if len(helpers) < len(tree.helpers):
            record.notes.append(
                "debugged from this program before, not again: "
                + ", ".join(f"`{h}`" for h in tree.helpers if h in done)
            )
        checks: dict[str, SubfunctionCheck] = {}
        for helper in helpers:  # bottom-up, until the first subfunction judged wrong
            checks[helper] = self._judge(ctx, state, attempt, base, tree, helper, calls)
            record.checked.append(checks[helper])
            if any(c.agreed for c in checks[helper].checks):
                break
        wrong = [h for h in helpers if h in checks and any(c.agreed for c in checks[h].checks)]
        for helper in [*wrong, *(h for h in helpers if h not in wrong)][: self.options.tries]:
            check = checks.get(helper) or SubfunctionCheck(function=helper)
            if self._debug(ctx, state, attempt, base, check, calls):
                return attempt
        return self._entry(ctx, state, attempt)

    # -- steps ------------------------------------------------------------------------------------

    def _decompose(
        self, ctx: Context, state: LoopState, attempt: Attempt, record: Hierarchy, tree: Tree
    ) -> tuple[str, Tree]:
        found = self._decomposed.get(state.program)
        if found is None:
            found = decompose.ask(ctx, state.program, attempt)
            if found.program is not None:
                differs = decompose.same_outcomes(state.results, ctx.run_tests(found.program))
                if differs is not None:
                    found = decompose.Decomposition(None, f"not used: {differs}")
            self._decomposed[state.program] = found
        record.decomposition = found.why
        if found.program is None:
            return state.program, tree
        record.decomposed = found.program
        return found.program, call_tree(found.program, ctx.task.entry_point)

    def _judge(
        self,
        ctx: Context,
        state: LoopState,
        attempt: Attempt,
        program: str,
        tree: Tree,
        helper: str,
        calls: CallTrace,
    ) -> SubfunctionCheck:
        """The verdicts on ``helper``'s recorded calls (``tree``: the call tree of ``program``)."""
        o = self.options
        check = SubfunctionCheck(function=helper, recorded=calls.counts.get(helper, 0))
        shown = judge.shown_calls(program, helper, calls.calls, o.calls, calls.counts.get(helper))
        if not shown:
            return check
        failing = failing_test(state)
        messages = judge.messages(
            ctx.task.description,
            self._shown(ctx, program, helper, tree),
            helper,
            shown,
            failing.test,
            describe_failure(failing),
        )
        seed = ctx.settings.params.seed + JUDGE_SEED + state.iteration
        verdicts = []
        for n in range(o.samples):
            reply = ctx.ask(messages, ctx.sample(n, seed))
            attempt.replies.append(reply)
            verdicts.append(judge.parse(reply.text, len(shown)))
        check.checks = judge.tally(shown, verdicts, o.agree)
        return check

    @staticmethod
    def _shown(ctx: Context, program: str, helper: str, tree: Tree) -> str:
        """The code the judge reads: the whole program, or, where prompts show one function of a module
        (``Task.shown == "function"``, the repository mode), the subfunction and the functions calling it."""
        if ctx.task.shown == "program":
            return program
        callers = [name for name in tree.order if helper in tree.functions[name].callees]
        parts = []
        for name in [helper, *callers]:
            part = view.shown(program, ctx.task.model_copy(update={"entry_point": name}))
            if part != program:  # found: a function, not the module
                parts.append(part.rstrip())
        return "\n\n\n".join(parts) or program

    def _debug(
        self,
        ctx: Context,
        state: LoopState,
        attempt: Attempt,
        program: str,
        check: SubfunctionCheck,
        calls: CallTrace,
    ) -> bool:
        """Debug the subfunction of ``check`` with ldb, on the unit tests its agreed verdicts made, or, when
        there are none (no verdict agreed, or arguments that are no literals, a method's ``self``), on the
        failing visible test traced at the subfunction, its real calls and the verdicts said in its task. True
        when the fix is kept as the attempt's program: it passes more of its unit tests, or without them more
        visible tests, and breaks no visible test that passed."""
        record = attempt.hierarchy
        assert record is not None
        helper = check.function
        tests = [c.test for c in check.checks if c.test is not None]
        check.tests = tests
        record.debugged, record.tests = helper, tests
        record.tried.append(helper)
        agreed = [c for c in check.checks if c.agreed]
        said = [
            f"While the failing test ran, `{c.shown}`; it should have returned {c.expected}." for c in agreed
        ]
        if not agreed:
            seen = judge.shown_calls(program, helper, calls.calls, 3, calls.counts.get(helper))
            said = [
                f"Its calls while the failing test ran: {'; '.join(f'`{s.text}`{s.note}' for s in seen)}."
            ]
        task = Task(
            task_id=f"{ctx.task.task_id}:{helper}",
            description=f"{ctx.task.description}\n\n`{helper}` is a helper of `{ctx.task.entry_point}` in "
            "this program. " + " ".join(said),
            entry_point=helper,
            visible_tests=tests or ctx.task.visible_tests,
            prelude=ctx.task.prelude,
            shown=ctx.task.shown,
        )
        ldb = Hole(HoleOptions(), "ldb")
        sub = ctx.derived(task, ldb.options, traced=None if tests else helper)
        before = sub.run_tests(program)
        if tests and all(r.passed for r in before):
            record.notes.append(f"`{helper}` passes its unit tests when run alone: the verdicts are not used")
            return False
        if not tests:
            record.notes.append(
                f"`{helper}` is debugged on the failing visible test, traced at its level"
                + (" (no unit test could be written from its calls)" if agreed else " (no verdict agreed)")
            )
        inner = LoopState(task, program, before, state.iteration, [*state.tried, normalized(program)])
        found = ldb.attempt(sub, inner)
        attempt.replies.extend(found.replies)
        attempt.messages, attempt.trace = found.messages, found.trace
        attempt.shown_blocks, attempt.verdicts = found.shown_blocks, found.verdicts
        attempt.verdict_parse = found.verdict_parse
        if found.program is None:
            record.notes.append(f"no new `{helper}` came back ({found.failure})")
            return False
        after = sub.run_tests(found.program)
        if tests and sum(r.passed for r in after) <= sum(r.passed for r in before):
            record.notes.append(f"the new `{helper}` passes no more of its unit tests: not kept")
            return False
        visible = ctx.run_tests(found.program)
        broken = _newly_failing(state, visible)
        if broken:
            record.notes.append(f"the new `{helper}` breaks a visible test that passed ({broken}): not kept")
            return False
        if not tests and sum(r.passed for r in visible) <= sum(r.passed for r in state.results):
            record.notes.append(f"the new `{helper}` passes no more visible tests: not kept")
            return False
        attempt.program = found.program
        return True

    def _entry(self, ctx: Context, state: LoopState, attempt: Attempt) -> Attempt:
        """Debug the entry point as ldb's default format does, on the original program."""
        record = attempt.hierarchy
        assert record is not None
        record.debugged = ctx.task.entry_point
        found = Hole(HoleOptions(), "ldb").attempt(ctx, state)
        replies = [*attempt.replies, *found.replies]
        found.hierarchy, found.replies = record, replies
        return found


def _debugged_before(state: LoopState) -> set[str]:
    """Subfunctions an earlier attempt from this same program debugged (the same verdicts would come back)."""
    return {
        name
        for a in state.history
        if a.start_program == state.program and a.hierarchy is not None
        for name in a.hierarchy.tried
    }


def _newly_failing(state: LoopState, results: list[TestResult]) -> str | None:
    passed = {r.test for r in state.results if r.passed}
    for result in results:
        if result.test in passed and not result.passed:
            return result.test.strip()
    return None
