"""Typed records that flow between the stages of tracefix.

Every record is a pydantic model, so it validates on the way in and serialises to JSON on the way out
(``record.model_dump(mode="json")`` / ``Record.model_validate(data)``). Stages exchange these records
and nothing else: a session can be saved, resumed, diffed and rendered without the code that made it.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class Record(BaseModel):
    """Base of all records: immutable-ish, strict about unknown keys."""

    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- analysis


EdgeLabel = Literal[
    "next",
    "true",
    "false",
    "loop",
    "exit",
    "break",
    "continue",
    "return",
    "raise",
    "exception",
    "finally",
    "case",
    "nomatch",
    "yield",
]


class Edge(Record):
    """A possible transfer of control from one block to another."""

    source: int
    target: int
    """A block id, or -1 (``tracefix.analysis.cfg.EXIT``) for leaving the function."""
    label: EdgeLabel = "next"


class Block(Record):
    """A basic block: statements that run one after another, mapped to lines of the user's file."""

    id: int
    lines: list[int]
    successors: list[int] = Field(default_factory=list)
    kind: str = "body"
    """What opens the block: "body" for plain statements, or a header ("if", "while", "for", "match",
    "case", "with", "try", "except", "finally", "return", ...)."""


class CFG(Record):
    """The control-flow graph of one function, in the line numbers of the file it came from."""

    function: str
    entry: int
    blocks: list[Block]
    edges: list[Edge] = Field(default_factory=list)
    first_line: int = 0
    last_line: int = 0

    def block(self, block_id: int) -> Block:
        for block in self.blocks:
            if block.id == block_id:
                return block
        raise KeyError(block_id)

    def line_to_block(self) -> dict[int, int]:
        """Map every executable line to the one block that owns it."""
        return {line: block.id for block in self.blocks for line in block.lines}


# --------------------------------------------------------------------------- execution


class ExceptionInfo(Record):
    type: str
    message: str
    line: int | None = None
    """Line in the program (or the test) where the exception was raised, when known."""
    block: int | None = None
    """Block of the traced function where the exception was raised or passed through, when known."""
    in_test: bool = False
    """True when the exception arose in the test code itself (e.g. a failing assert) rather than the program."""


class TestResult(Record):
    """The outcome of running one visible (or, in the scorer only, hidden) test against a program."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    test: str
    passed: bool
    error: str | None = None
    """One-line summary of the failure, e.g. "AssertionError (line 3)" or "timed out after 5.0 s"."""
    exception: ExceptionInfo | None = None
    actual: str | None = None
    """For tests of the form ``assert f(...) == expected``: a safe repr of what ``f(...)`` returned."""
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    timeout: bool = False
    memory_limit: bool = False
    killed: bool = False
    broken: str | None = None
    """Why no program can pass this failing test, when the fault is in the test itself (it is not valid
    Python, or its expected value names something nothing defines); the loop then leaves it aside."""


class Visit(Record):
    """One execution of one block of the traced function, and the local state after it."""

    seq: int
    """Position of this visit in the full sequence of visits (gaps mean visits were dropped)."""
    block: int
    state: dict[str, str] = Field(default_factory=dict)
    """Safe reprs of the function's local variables after the block ran."""
    changed: list[str] = Field(default_factory=list)
    """Names whose value differs from the previous visit in the same frame."""
    frame: int = 0
    """Which call of the function this visit belongs to (0 = first call); recursion makes more."""
    depth: int = 0
    """Recursion depth of that call (0 = outermost call of the traced function)."""
    occurrence: int = 0
    """This is the n-th visit (0-based) of the block over the whole run."""
    exit: str | None = None
    """How the call left right after this visit: "return", "yield" or "raise"; None when a block followed."""
    value: str | None = None
    """Safe repr of the value returned or yielded, when ``exit`` is "return" or "yield"."""
    exception: str | None = None
    """``Type: message`` of an exception raised in (or propagated through) this visit, caught or not."""
    state_cut: bool = False
    """True when the visit was kept in the path but its state was not recorded (snapshot budget spent)."""


class StandIn(Record):
    """One invented thing a fragment lacked, and the code that supplies it (``tracefix.partial``)."""

    kind: Literal["name", "module", "attribute"]
    name: str
    """The name, the module's dotted name, or ``owner.attribute``."""
    code: str
    """For a name: code binding it; a module: the module's code (empty: permissive); an attribute: code run
    in its stand-in module (or binding it on its owner)."""
    by: Literal["rules", "model"]


class Trace(Record):
    """A bounded record of one run of one test with the function under test traced block by block."""

    function: str
    test: str
    passed: bool
    error: str | None = None
    exception: ExceptionInfo | None = None
    return_value: str | None = None
    """Safe repr of what the outermost call of the function returned (last call if several)."""
    visits: list[Visit] = Field(default_factory=list)
    total_visits: int = 0
    block_counts: dict[int, int] = Field(default_factory=dict)
    """Exact number of visits of each block, including the visits that were not kept."""
    calls: int = 0
    max_depth: int = 0
    truncated: bool = False
    cut: list[str] = Field(default_factory=list)
    """Human-readable notes on what was left out (e.g. "kept the first 10 and last 10 visits of block 3")."""
    stdout: str = ""
    duration_s: float = 0.0
    timeout: bool = False
    backend: str = ""
    """Which tracer produced it: "monitoring" or "settrace"."""
    stand_ins: list[StandIn] = Field(default_factory=list)
    """What the program lacked and was invented so that the test could run (``tracefix trace --stand-ins``);
    the recorded values of stand-ins read ``<stand-in>``."""


class Call(Record):
    """One call of one of the program's own functions during a test (``tracefix.execution.calls``)."""

    id: int
    """Position of the call among all recorded calls of the run (gaps: calls counted but not kept)."""
    function: str
    """The function's qualified name (``helper``, ``Class.method``)."""
    parent: int | None = None
    """The id of the recorded call it was made from (None: called by the test or the module's code)."""
    depth: int = 0
    """How many recorded calls were running when it started."""
    args: dict[str, str] = Field(default_factory=dict)
    """Safe reprs of the arguments, rendered when the call started."""
    result: str | None = None
    """Safe repr of the value returned."""
    exception: str | None = None
    """``Type: message`` of the exception the call raised (it did not return)."""
    finished: bool = True
    """False when the run stopped while the call was still running."""


class CallTrace(Record):
    """The calls of the program's own functions made while one test ran (bounded; counts exact)."""

    test: str
    passed: bool
    error: str | None = None
    exception: ExceptionInfo | None = None
    calls: list[Call] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)
    """Exact number of calls of each function, kept or not."""
    truncated: bool = False
    cut: list[str] = Field(default_factory=list)
    timeout: bool = False
    duration_s: float = 0.0


# --------------------------------------------------------------------------- models

Role = Literal["system", "user", "assistant"]


class Message(Record):
    role: Role
    content: str


class GenParams(Record):
    temperature: float = 0.0
    max_tokens: int = 768
    stop: list[str] = Field(default_factory=list)
    seed: int = 0
    end_of: str | None = None
    """A function name: the reply is complete once that function's definition in its code block has ended,
    when nothing after it is read (``tracefix.models.ending``). The embedded backend stops generating there
    and cuts the reply at it; a server's reply is whole."""


class Usage(Record):
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class Reply(Record):
    text: str
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0
    model: str = ""
    finish_reason: str | None = None
    cached: bool = False


# --------------------------------------------------------------------------- strategies


class LineSuspicion(Record):
    """A line of the program and the tests of a test suite that ran it (spectrum-based fault localization)."""

    line: int
    """Its number in the program the task starts from."""
    code: str
    """The line's text, stripped: where the program no longer has it at ``line``, it is matched by text."""
    failed: int
    """Failing tests that ran it."""
    passed: int
    """Passing tests that ran it."""
    failed_total: int
    passed_total: int
    score: float
    """Ochiai: ``failed / sqrt(failed_total * (failed + passed))``."""

    def said(self) -> str:
        """The evidence in words."""
        passing = (
            f"{self.passed} of its {self.passed_total}" if self.passed else f"none of its {self.passed_total}"
        )
        return f"it ran in {self.failed} of the test file's {self.failed_total} failing tests and {passing} passing tests"


class Task(Record):
    """What a strategy may see: never the hidden tests."""

    task_id: str = "task"
    description: str = ""
    entry_point: str
    visible_tests: list[str]
    prelude: str = ""
    """Code the program may rely on that is not part of it (e.g. helper functions given in a prompt)."""
    shown: Literal["program", "function"] = "program"
    """What of the program the prompts show and the replies rewrite: all of it, or only the entry point (a
    repository's module: the model reads and writes the function, which is merged back into the module)."""
    suspicions: list[LineSuspicion] = Field(default_factory=list)
    """Lines of the entry point a larger test suite than the visible tests ran, and which of its tests did (a
    repository's test file); empty when there is none."""


class Verdict(Record):
    block: int
    correct: bool
    explanation: str = ""


class CallCheck(Record):
    """One recorded call of a subfunction as the model judged it (the hierarchical strategy)."""

    call: Call
    shown: str
    """The call as the judge saw it: ``helper(3, [1, 2]) returned 7``."""
    answers: int = 0
    """Judging replies that gave this call a verdict (right or wrong); the others did not mention it."""
    wrong_votes: int = 0
    samples: int = 0
    expected: str | None = None
    """The value most of the samples that judged the call wrong said it should return."""
    agreed: bool = False
    """Enough samples agree the call is wrong, on the same expected value."""
    test: str | None = None
    """The unit test the agreed verdict makes (``assert helper(3, [1, 2]) == 9``), when the call can be redone."""


class SubfunctionCheck(Record):
    """What was judged of one subfunction's recorded calls."""

    function: str
    recorded: int = 0
    """Calls of it the failing test made (all of them, judged or not)."""
    checks: list[CallCheck] = Field(default_factory=list)
    tests: list[str] = Field(default_factory=list)
    """Its unit tests: from the agreed verdicts (hierarchical), or written by the model (mgdebugger)."""
    fixes: int = 0
    """Fixed versions of it that replaced it in the program."""


class Hierarchy(Record):
    """The hierarchical strategy's view of one attempt: the call tree, the real calls and the verdicts."""

    entry: str
    order: list[str] = Field(default_factory=list)
    """The program's functions reachable from the entry, leaves first (the order they are checked in)."""
    edges: dict[str, list[str]] = Field(default_factory=dict)
    """Each function -> the program's functions it calls (read from the source)."""
    decomposition: str | None = None
    """What became of a model-made decomposition of a monolithic entry point (None: none was asked for)."""
    decomposed: str | None = None
    """The decomposed program, when it was accepted."""
    calls: CallTrace | None = None
    """The calls the failing visible test made, recorded."""
    checked: list[SubfunctionCheck] = Field(default_factory=list)
    debugged: str | None = None
    """The function whose fix is this attempt's program (a subfunction, or the entry point), else the last
    one debugged."""
    tried: list[str] = Field(default_factory=list)
    """The subfunctions this attempt debugged, in order."""
    tests: list[str] = Field(default_factory=list)
    """The unit tests a subfunction was debugged on."""
    notes: list[str] = Field(default_factory=list)
    """Why a step was skipped or a candidate refused."""


class Attempt(Record):
    """One iteration of a debugging loop."""

    iteration: int
    start_program: str | None = None
    """The program this attempt started from: the one it traced and asked the model to fix."""
    messages: list[Message] = Field(default_factory=list)
    """The prompt messages sent for the final request of this iteration."""
    replies: list[Reply] = Field(default_factory=list)
    trace: Trace | None = None
    shown_blocks: list[int] = Field(default_factory=list)
    verdicts: list[Verdict] = Field(default_factory=list)
    verdict_parse: str = ""
    """How the verdicts were parsed ("strict", "repaired", "partial", "none", or "" when not asked)."""
    program: str | None = None
    """The program extracted from the reply, or None when no usable program came back."""
    failure: str | None = None
    """Why this attempt produced no new program (no code, syntax error, unchanged, ...)."""
    note: str | None = None
    """What tracefix itself changed, when the program came from a quick fix rather than the model."""
    test_results: list[TestResult] = Field(default_factory=list)
    hierarchy: Hierarchy | None = None
    """The hierarchical strategy's call tree, real calls and verdicts."""
    usage: Usage = Field(default_factory=Usage)
    duration_s: float = 0.0


Outcome = Literal["fixed", "already_passing", "broken_tests", "failed", "error"]
"""``broken_tests``: every visible test passes except ones no program can pass (``TestResult.broken``)."""


class Session(Record):
    """Everything a debugging run did, enough to render it and to compare strategies."""

    task: Task
    strategy: str
    level: str = "block"
    model: str = ""
    initial_program: str
    initial_results: list[TestResult] = Field(default_factory=list)
    attempts: list[Attempt] = Field(default_factory=list)
    final_program: str
    outcome: Outcome
    error: str | None = None
    cause: str | None = None
    """What was wrong and why the change fixes it, in a sentence or two (``strategies.cause``), once fixed."""
    cause_by: str | None = None
    """Who worded ``cause``: "model" (one short call on the trace's evidence) or "trace" (the evidence as is)."""
    usage: Usage = Field(default_factory=Usage)
    calls: int = 0
    duration_s: float = 0.0
    tracefix_version: str = ""


# --------------------------------------------------------------------------- partial execution

MissingKind = Literal["name", "module", "attribute", "call", "stand-in", "input"]


class Missing(Record):
    """What a run of a fragment lacked, read off the exception that ended it (``tracefix.partial``).

    ``name``: a name the fragment reads and nothing defines (``NameError``); ``module``: a module that is not
    installed (``name`` is its dotted name); ``attribute``: an attribute a stand-in lacks (``owner`` names the
    stand-in); ``call``: the call of the function under test does not fit its signature; ``stand-in``: a
    stand-in's own code failed, the error's line reads a stand-in, or its message names one; ``input``: the
    fragment raised the error itself (a ``raise`` statement), rejecting the values it was given."""

    kind: MissingKind
    name: str
    owner: str | None = None


class PartialRun(Record):
    """One sandboxed run of a fragment with its stand-ins: the fragment's lines that ran, and how it ended."""

    executed: list[int] = Field(default_factory=list)
    """Lines of the fragment (its own numbering) that ran, in order of first run."""
    error: ExceptionInfo | None = None
    where: str | None = None
    """Where the error arose: "program" (the fragment), "prelude" (a stand-in) or "test" (the call)."""
    missing: Missing | None = None
    """What the error says is missing or invented; None for an error of the fragment's own code."""
    stopped: str | None = None
    """Why the run was stopped from inside before it ended (its time or line budget), when it was."""
    stdout: str = ""
    duration_s: float = 0.0
