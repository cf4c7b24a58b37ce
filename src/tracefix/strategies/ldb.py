"""The ldb strategy: debug with the runtime evidence of the failing test, block by block.

Three formats:
- ``focused``: one request. The evidence picks the few blocks worth a look (the failing block
  located by the trace and by the passing tests, loop runs collapsed, changed variables only); the model
  names the wrong block in one line and writes the fix in the same reply. Built for small local models,
  which in the paper's two-call format mostly returned the program unchanged (see FINDINGS.md).
- ``hole`` (default): one request. The block the trace blames (see ``hole.py``) is cut out of the program and
  replaced by a TODO saying why; the model writes the program with that part anew. Each iteration cuts another
  block, starting from the same program while no reply passes more visible tests (the engine's
  ``ties=oldest``, this format's default); an already-tried reply is answered with the next cut in a fresh
  conversation (``recut``) and the prompt says how earlier attempts failed (``past``); once every part has
  been cut, the whole body is cut and sampled ``samples`` times, the best kept (``rewrite``). ``cite=code`` names
  blocks in the findings by their code (measured: not yet). When the failing test calls a function the
  program does not define, nothing of the program runs: its header is added with a TODO for a body instead
  (``missing``, ``called.py``). A program that does not compile has no trace either: it is asked for as
  plain feedback asks (``unparsed``). The findings say first how the returned value's type differs from the
  expected one (``types``), or else how a returned sequence, set or dict differs (``values``); when the
  value is the expected one of another type, the block that returned it is cut first (``retype``).
- ``paper``: LDB's own two calls, as published: a JSON verdict for each of at most ten block visits, then
  "fix the program", in one conversation. Kept so results stay comparable with the paper on strong models.

With ``names=on``, a failure on a name the program never defines is mended first, without the model
(``quickfix.py``). The function traced is the one the failing test calls (``called.under_test``): the entry
point, unless the test calls only another function of the program. Levels (the paper's ablation): ``block`` (basic blocks), ``line`` (every line its own block) and
``function`` (only the call's inputs and its outcome).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from tracefix.analysis.cfg import build_cfg
from tracefix.analysis.source import parameter_names, parse_function
from tracefix.records import CFG, Attempt, Message, Trace, Verdict
from tracefix.strategies import called, hole
from tracefix.strategies import evidence as ev
from tracefix.strategies import findings as fd
from tracefix.strategies.common import failing_test, problem_values
from tracefix.strategies.engine import Context, LoopState
from tracefix.strategies.extract import normalized
from tracefix.strategies.quickfix import quick_fix
from tracefix.strategies.templates import chat, render
from tracefix.strategies.tests import split_assert
from tracefix.strategies.verdicts import parse_prose_verdicts, parse_verdicts, parse_wrong_block

LEVELS = ("block", "line", "function")
FORMATS = ("hole", "focused", "paper")
DEFAULT_FORMAT = "hole"


@dataclass
class Ldb:
    """LDB's block-level verification, at a chosen level and prompt format."""

    level: str = "block"
    format: str = DEFAULT_FORMAT
    max_blocks: int = 8
    passing_traces: int = 3
    verdict_tokens: int = 512
    prefill: bool = False
    """Start the reply with "WRONG BLOCK:" (on models that can continue a reply), then open the code block."""
    hints: bool | None = None
    """Show the findings (where the returned value or the exception came from): None is the format's own
    default, off for ``focused`` (above the blocks when on), on for ``hole`` (below the failing test)."""
    cite: str = "blocks"
    """How the hole format's findings name blocks: ``blocks`` (BLOCK 3, as first measured, though the hole
    prompt shows no numbers) or ``code`` (a block by its code; blocks cut out are "the removed code")."""
    recut: bool = True
    """Hole format: when the filled program was already tried, the second request is a fresh one with the
    next part the trace blames cut out, instead of the engine's "already tried" note in the same conversation
    (a reconstruction of the cut code is weak evidence that the part was right; and a first version that
    asked in the same conversation got the old program copied back from the model's own reply)."""
    past: bool = True
    """Hole format: say how the earlier attempts failed, as the other prompts do (the first measured hole
    prompt did not, and a one-block function got the same rewrite twice)."""
    rewrite: bool = True
    """Hole format: once every part of the program has been cut (a one-block function after one iteration),
    cut its whole body and have it written anew, sampled at the engine's retry temperature with a seed of
    its own per iteration, instead of falling back to the focused request (which small models answer with
    the program unchanged)."""
    samples: int = 3
    """With ``rewrite``: programs sampled for the whole body per iteration; the one passing the most visible
    tests is kept (sampling stops at one that passes them all)."""
    types: bool = True
    """Hole format: when the returned value and the test's expected value are of different types (an int
    where the test expects a float, ``inf`` where it expects an int), say so first in what the trace shows,
    in the whole-body rewrite too (``findings.type_finding``)."""
    missing: bool = True
    """Hole format: when the failing test calls a function the program does not define, add that function's
    header with a TODO for its body and have it written (``called.py``), instead of the focused request with
    no trace (nothing of the program ran)."""
    values: bool = False
    """Hole format: say how a returned list, tuple, string, set or dict differs from the expected one
    (lengths, first differing index, a few extra or missing elements: ``findings.value_finding``), in the
    whole-body rewrite too, unless a finding already traced its first wrong element to a block. Off: on 10
    MBPP seeds returning a wrong sequence that ldb failed on, it repaired none and cost more calls."""
    retype: bool = True
    """Hole format, with ``types``: when the call returned the expected value as another type (``'100011'``
    where the test expects ``100011``; an int equal to the expected float), cut the block that returned it
    first, instead of the code that computed the right value."""
    unblamed: str = "cut"
    """Hole format: when no finding blames a block (the first cut would say only "its values are wrong"),
    ``cut`` cuts the block the ranking puts first, as always; ``rewrite`` cuts the whole body and samples it
    at once, as ``rewrite`` does once every part has been cut."""
    unparsed: str = "feedback"
    """Hole format: a program that does not compile (nothing of it runs, so there is no trace and nothing to
    cut) is asked for as plain test feedback does (``feedback``: the failing test and the syntax error), or
    with the focused request (``focused``, its block evidence "no block trace"). On the 14 MBPP seeds of the
    stored runs that do not compile, ``feedback`` repaired the same 11, 9 in the first iteration instead of
    7, in 27 model calls instead of 33 (``bench/results/probe_unparsed.md``)."""
    names: bool = False
    """Mend a failure on a name the program never defines (a misnamed function, a standard-library module
    never imported) mechanically, without the model (``quickfix.py``), before any trace is asked about."""
    name: str = field(default="ldb", init=False)

    def attempt(self, ctx: Context, state: LoopState) -> Attempt:
        attempt = Attempt(iteration=state.iteration)
        failing = failing_test(state)
        entry = _entry(ctx, state)
        cfg = _cfg(state.program, entry, self.level)
        trace = ctx.trace(state.program, failing.test, cfg if self.level == "line" else None, entry=entry)
        attempt.trace = trace
        mended = quick_fix(state.program, failing, ctx.task.entry_point) if self.names else None
        missing = (
            called.missing_call(
                failing, state.program, description=ctx.task.description, entry_point=ctx.task.entry_point
            )
            if self.missing and self.format == "hole"
            else None
        )
        if mended is not None and normalized(mended.program) not in state.tried:
            attempt.program, attempt.note = mended.program, mended.note  # no model call
        elif missing is not None:
            self._missing(ctx, state, attempt, missing)
        elif self.format == "hole" and self.unparsed == "feedback" and not _compiles(state.program):
            ctx.request_program(chat("feedback", **problem_values(state)), state, attempt)
        elif self.format == "paper":
            self._paper(ctx, state, attempt, cfg, trace)
        elif self.format == "hole" and self.level != "function":
            self._hole(ctx, state, attempt, cfg, trace)
        else:
            self._focused(ctx, state, attempt, cfg, trace)
        return attempt

    # -- focused ----------------------------------------------------------------------------------

    def _focused(
        self, ctx: Context, state: LoopState, attempt: Attempt, cfg: CFG | None, trace: Trace
    ) -> None:
        text, shown = self._evidence(ctx, state, cfg, trace)
        attempt.shown_blocks = shown
        values = problem_values(state)
        messages = chat("ldb_focused", evidence=text, level=self.level, **values)
        ctx.request_program(messages, state, attempt, lead="WRONG BLOCK:" if self.prefill else None)
        verdicts: list[Verdict] = []
        how = "none"
        for reply in attempt.replies:  # the last reply that names a block wins
            named = parse_wrong_block(reply.text)
            if named is not None:
                verdicts, how = [named], "format"
            elif prose := parse_prose_verdicts(reply.text):
                verdicts, how = prose, "prose"
        attempt.verdicts = verdicts
        attempt.verdict_parse = how

    def _evidence(
        self, ctx: Context, state: LoopState, cfg: CFG | None, trace: Trace
    ) -> tuple[str, list[int]]:
        if cfg is None or not trace.visits:
            reason = trace.error or "the function was not called"
            return f"(no block trace: {reason})", []
        if self.level == "function":
            return _function_view(state.program, _entry(ctx, state), trace), []
        passing = [set(t.block_counts) for t in self._passing_traces(ctx, state)]
        gathered = ev.gather(state.program, cfg, trace, passing)
        shown, hidden = ev.select(gathered, self.max_blocks)
        text = ev.render_focused(shown, hidden)
        if self.hints is True and (found := self._findings(ctx, state, cfg, trace)):
            text = "What the trace shows:\n" + "\n".join(f"- {f.text}" for f in found) + "\n\n" + text
        return text, [b.block for b in shown]

    def _findings(
        self, ctx: Context, state: LoopState, cfg: CFG, trace: Trace, namer: fd.Namer = fd.block_number
    ) -> list[fd.Finding]:
        expectation = split_assert(failing_test(state).test)
        parameters = _parameters(state.program, _entry(ctx, state))
        return fd.findings(
            state.program, cfg, trace, parameters, expectation.expected if expectation else None, namer
        )

    def _passing_traces(self, ctx: Context, state: LoopState) -> list[Trace]:
        passing = [r for r in state.results if r.passed][: self.passing_traces]
        entry = _entry(ctx, state)
        cfg = _cfg(state.program, entry, self.level) if self.level == "line" else None
        return [ctx.trace(state.program, r.test, cfg, entry=entry) for r in passing]

    # -- hole -------------------------------------------------------------------------------------

    def _hole(self, ctx: Context, state: LoopState, attempt: Attempt, cfg: CFG | None, trace: Trace) -> None:
        values = problem_values(state)
        values = {**values, "history": values["history"] if self.past else []}
        holed: str | None = None
        found: list[fd.Finding] = []
        lead: list[fd.Finding] = []  # ``retype``'s finding, which blames the returning block
        order: list[int] = []
        gathered: dict[int, ev.BlockEvidence] = {}
        if cfg is not None and trace.visits:
            passing = [set(t.block_counts) for t in self._passing_traces(ctx, state)]
            gathered = {item.block: item for item in ev.gather(state.program, cfg, trace, passing)}
            found = self._findings(ctx, state, cfg, trace)
            if self.retype and (typed := self._typed_return(state, trace)) is not None:
                lead = [typed]
            found = [*lead, *found]
            unblamed = (
                self.unblamed == "rewrite" and self.rewrite and not any(f.culprit is not None for f in found)
            )
            why = "no finding blames one part"
            if unblamed and self._rewrite(ctx, state, attempt, cfg, trace, values, reason=why):
                return
            tried = [b for a in state.history if a.start_program == state.program for b in a.shown_blocks]
            outer = hole.top_level(state.program, _entry(ctx, state))
            order = hole.targets(list(gathered.values()), found, tried, outer)
            holed = self._cut_next(state.program, order, gathered, found, attempt)
        every_part_cut = holed is None and bool(trace.visits) and self.rewrite
        if every_part_cut and cfg is not None and self._rewrite(ctx, state, attempt, cfg, trace, values):
            return
        if cfg is None or holed is None:  # no trace, or every block tried: the focused request instead
            self._focused(ctx, state, attempt, cfg, trace)
            return

        def request(holed: str) -> list[Message]:
            """The hole prompt for the part cut last; with ``cite=code`` the findings name that cut."""
            said = found
            if self.cite == "code" and cfg is not None:
                span = hole.span(state.program, gathered[attempt.shown_blocks[-1]])
                said = [
                    *lead,
                    *self._findings(ctx, state, cfg, trace, fd.code_namer(state.program, cfg, span)),
                ]
            shown = [f.text for f in said] if self.hints is not False else []
            _unfilled_is_tried(state, holed)
            return chat("ldb_hole", holed=holed, findings=self._value_said(state, found) + shown, **values)

        def recut() -> list[Message] | None:
            """After an already-tried program: the next cut, asked in a fresh conversation."""
            again = self._cut_next(state.program, order, gathered, found, attempt)
            return request(again) if again is not None else None

        ctx.request_program(
            request(holed), state, attempt, clean=hole.strip_todo, on_repeat=recut if self.recut else None
        )

    def _rewrite(
        self,
        ctx: Context,
        state: LoopState,
        attempt: Attempt,
        cfg: CFG,
        trace: Trace,
        values: dict[str, object],
        reason: str = "every part had been cut once",
    ) -> bool:
        """Cut the whole body and ask for it sampled (False: nothing to cut); ``reason`` says why."""
        why = _outcome(trace)
        holed = hole.cut_lines(state.program, hole.body_span(state.program, _entry(ctx, state)), why)
        if holed is None:
            return False
        explanation = f"the whole body, cut out and asked for anew ({reason}): it {why}"
        attempt.verdicts.append(Verdict(block=cfg.entry, correct=False, explanation=explanation))
        attempt.verdict_parse = "trace"
        base = ctx.settings.params
        samples = [
            base.model_copy(
                update={
                    "temperature": ctx.settings.retry_temperature,
                    "seed": base.seed + 100 + state.iteration + 1000 * n,
                }
            )
            for n in range(self.samples)
        ]
        messages = chat("ldb_hole", holed=holed, findings=self._value_said(state, []), **values)
        _unfilled_is_tried(state, holed)
        ctx.request_best(messages, state, attempt, samples, clean=hole.strip_todo)
        return True

    def _value_said(self, state: LoopState, found: list[fd.Finding]) -> list[str]:
        """The sentence on the returned value against the expected one: with ``types``, that it is of
        another type; else with ``values``, how it differs (unless one of ``found`` compares them). Said
        once: not when ``found`` has it already (``retype``)."""
        actual, expected = _returned_and_expected(state)
        said = fd.type_finding(actual, expected) if self.types else None
        if said is None and self.values and not any(f.compares for f in found):
            said = fd.value_finding(actual, expected)
        if said is None or any(f.text == said.text for f in found):
            return []
        return [said.text]

    def _typed_return(self, state: LoopState, trace: Trace) -> fd.Finding | None:
        """With ``types``: the call returned the expected value as another type (``findings.same_value``),
        so the code that computed it is likely right: the type finding blames the block that returned it."""
        if not self.types:
            return None
        said = fd.type_finding(*_returned_and_expected(state))
        if said is None or not said.why:
            return None
        returned = next((v for v in reversed(trace.visits) if v.depth == 0 and v.exit == "return"), None)
        if returned is None:
            return None
        return fd.Finding(said.text, culprit=returned.block, why=said.why)

    @staticmethod
    def _cut_next(
        program: str,
        order: list[int],
        gathered: dict[int, ev.BlockEvidence],
        found: list[fd.Finding],
        attempt: Attempt,
    ) -> str | None:
        """Cut the first block of ``order`` not cut yet in ``attempt``; record it as shown and blamed."""
        for block in order:
            if block in attempt.shown_blocks:
                continue
            why = hole.reason(gathered[block], found)
            holed = hole.cut(program, gathered[block], why)
            if holed is not None:
                attempt.shown_blocks.append(block)
                attempt.verdicts.append(Verdict(block=block, correct=False, explanation=why))
                attempt.verdict_parse = "trace"
                return holed
        return None

    def _missing(self, ctx: Context, state: LoopState, attempt: Attempt, missing: called.MissingCall) -> None:
        """The test calls a function the program lacks: ask for the program with that function written."""
        values = problem_values(state)
        values = {**values, "history": values["history"] if self.past else []}
        said = called.finding(missing)
        attempt.verdict_parse = "trace"
        messages = chat(
            "ldb_hole", holed=called.stub(state.program, missing), findings=[said], missing=True, **values
        )
        ctx.request_program(messages, state, attempt, clean=hole.strip_todo)

    # -- paper ------------------------------------------------------------------------------------

    def _paper(self, ctx: Context, state: LoopState, attempt: Attempt, cfg: CFG | None, trace: Trace) -> None:
        failing = failing_test(state)
        if cfg is not None and trace.visits:
            text, shown = ev.render_paper(state.program, cfg, trace)
        else:
            text, shown = f"(no block trace: {trace.error or 'the function was not called'})", []
        attempt.shown_blocks = shown
        actual = failing.actual if failing.actual is not None else (failing.error or "the assertion failed")
        messages = chat(
            "ldb_paper_debug",
            task=ctx.task,
            program=state.program,
            failing=failing,
            actual=actual,
            evidence=text,
        )
        params = ctx.settings.params.model_copy(update={"max_tokens": self.verdict_tokens})
        verdict_reply = ctx.ask(messages, params)
        parsed = parse_verdicts(verdict_reply.text, expected=range(len(shown)))
        attempt.verdicts = [
            v.model_copy(update={"block": shown[v.block]})
            for v in parsed.verdicts
            if 0 <= v.block < len(shown)
        ]
        attempt.verdict_parse = parsed.how + (" (partial)" if parsed.missing and parsed.verdicts else "")
        fix = [*messages, Message(role="assistant", content=verdict_reply.text)]
        fix.append(Message(role="user", content=render("ldb_paper_fix")))
        attempt.replies.append(verdict_reply)
        ctx.request_program(fix, state, attempt)


def _compiles(program: str) -> bool:
    try:
        compile(program, "<program>", "exec")
    except (SyntaxError, ValueError):  # ValueError: a null byte in the source
        return False
    return True


def _returned_and_expected(state: LoopState) -> tuple[str | None, str | None]:
    """The failing test's returned value (safe repr) and the source of the value it expects."""
    failing = failing_test(state)
    expectation = split_assert(failing.test)
    return failing.actual, expectation.expected if expectation else None


def _unfilled_is_tried(state: LoopState, holed: str) -> None:
    """A reply that gives the cut program back with nothing written for the TODO counts as an
    already-tried program, so it is answered like a repeat (with ``recut``: the next cut, in the same
    iteration) instead of being tested and spending the iteration. In the stored runs 86 of 3294 hole
    replies did so (the TODO line copied or dropped); the 76 tested passed no visible test they were
    asked to. The cost: a fix that only deletes the cut code is refused for that cut."""
    unfilled = normalized(hole.strip_todo(holed))
    if unfilled not in state.tried:
        state.tried.append(unfilled)


def _entry(ctx: Context, state: LoopState) -> str:
    """The function to trace: the one the failing test calls (``called.under_test``)."""
    return called.under_test(state.program, failing_test(state).test, ctx.task.entry_point)


def _cfg(program: str, entry_point: str, level: str) -> CFG | None:
    try:
        cfg = build_cfg(program, entry_point)
    except (SyntaxError, LookupError, ValueError):
        return None
    return split_lines(cfg) if level == "line" else cfg


def split_lines(cfg: CFG) -> CFG:
    """The line-level view of a CFG: each line of a block becomes a block of its own.

    Block ids become line numbers, so the trace of a line-level CFG reads as a line trace.
    """
    first_line = {b.id: min(b.lines) for b in cfg.blocks if b.lines}
    blocks = []
    edges = []
    for block in cfg.blocks:
        lines = sorted(block.lines)
        for here, nxt in itertools.pairwise(lines):
            blocks.append({"id": here, "lines": [here], "successors": [nxt], "kind": block.kind})
            edges.append({"source": here, "target": nxt, "label": "next"})
        last = lines[-1]
        out = [e for e in cfg.edges if e.source == block.id and e.target in first_line]
        targets = sorted({first_line[e.target] for e in out})
        blocks.append({"id": last, "lines": [last], "successors": targets, "kind": block.kind})
        edges.extend({"source": last, "target": first_line[e.target], "label": e.label} for e in out)
    entry = first_line[cfg.entry]
    return CFG.model_validate(
        {
            "function": cfg.function,
            "entry": entry,
            "blocks": sorted(blocks, key=lambda b: b["id"]),
            "edges": edges,
            "first_line": cfg.first_line,
            "last_line": cfg.last_line,
        }
    )


def _parameters(program: str, entry_point: str) -> list[str]:
    try:
        args = parse_function(program, entry_point).args  # the definition the CFG is built from
    except (SyntaxError, LookupError):
        return []
    return parameter_names(args)


def _outcome(trace: Trace, shown: Callable[[str], str] = ev.short) -> str:
    """What the traced call did: ``returned 40.0`` or ``raised ValueError: ...``, values cut by ``shown``."""
    if trace.exception is not None and not trace.exception.in_test:
        message = f": {shown(trace.exception.message)}" if trace.exception.message else ""
        return f"raised {trace.exception.type}{message}"
    return f"returned {shown(trace.return_value or 'None')}"


def _function_view(program: str, entry_point: str, trace: Trace) -> str:
    """The function level of the ablation: the call's arguments and its outcome, nothing in between."""
    first = trace.visits[0].state
    params = _parameters(program, entry_point)
    args = ", ".join(f"{p} = {ev.short(first[p])}" for p in params if p in first)
    outcome = _outcome(trace, shown=str)  # the whole value: it is all this level shows
    return f"[FUNCTION {entry_point}] called with {args or 'no arguments'}\n  {outcome}"
