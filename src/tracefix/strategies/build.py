"""From a spec to a running strategy: the one place a debugging run is wired.

:data:`KINDS` lists every strategy with its options model; each of ldb's formats is a strategy of its own,
chosen by the spec's ``format`` option (``hole`` when the spec has none). :func:`parse_spec` checks a spec
against its options model, :func:`build` makes the strategy, and :func:`run` debugs a program with it: the
API, the CLI's ``debug`` and ``bench`` and the repository mode all go through :func:`run`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from tracefix.models.base import Model
from tracefix.records import Attempt, Session, Task
from tracefix.strategies.baselines import ExplainOptions, FeedbackOptions, explain, feedback
from tracefix.strategies.engine import Runner, Settings, Strategy, run_loop
from tracefix.strategies.hier.mgdebugger import MGDebugger, MgOptions
from tracefix.strategies.hier.strategy import Hierarchical, HierarchicalOptions
from tracefix.strategies.ldb.focused import Focused, FocusedOptions
from tracefix.strategies.ldb.hole import Hole, HoleOptions
from tracefix.strategies.ldb.paper import Paper, PaperOptions
from tracefix.strategies.options import Options, spec_text
from tracefix.strategies.spec import SpecError, split_options


@dataclass(frozen=True)
class Kind:
    """One strategy: the name a spec gives it, its format (ldb's), its options model, and its maker."""

    name: str
    options: type[Options]
    make: Callable[[Any, str], Strategy]
    format: str | None = None

    @property
    def label(self) -> str:
        """How a spec names this kind: ``ldb[format=focused]``, or the bare name for a default."""
        default = next(k for k in KINDS if k.name == self.name)
        return self.name if default is self else f"{self.name}[format={self.format}]"


KINDS: tuple[Kind, ...] = (
    Kind("ldb", HoleOptions, Hole, "hole"),  # the first kind of a name is the one its bare spec means
    Kind("ldb", FocusedOptions, Focused, "focused"),
    Kind("ldb", PaperOptions, Paper, "paper"),
    Kind("feedback", FeedbackOptions, feedback),
    Kind("explain", ExplainOptions, explain),
    Kind("hierarchical", HierarchicalOptions, Hierarchical),
    Kind("mgdebugger", MgOptions, MGDebugger),
)
NAMES = tuple(dict.fromkeys(k.name for k in KINDS))


@dataclass(frozen=True)
class Spec:
    """A checked spec: its kind, its options (defaults filled in), and the options it sets, in spec form."""

    kind: Kind
    options: Options
    given: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        """The canonical form: the options the spec sets, sorted by key, flags as on/off."""
        if not self.given:
            return self.kind.name
        return f"{self.kind.name}[{','.join(f'{k}={v}' for k, v in self.given)}]"


def parse_spec(text: str) -> Spec:
    """Check one spec against its strategy's options model; :class:`SpecError` says what is wrong."""
    written = split_options(text)
    kinds = [k for k in KINDS if k.name == written.name]
    if not kinds:
        raise SpecError(f"unknown strategy {written.name!r}; choose one of {', '.join(NAMES)}")
    values = dict(written.options)
    kind = _kind(text, kinds, values.get("format"))
    try:
        options = kind.options.model_validate(values)
    except ValidationError as exc:
        raise SpecError(f"{text!r}: {_explain(kind, exc)}") from None
    given = tuple(sorted((key, spec_text(getattr(options, key))) for key in values))
    return Spec(kind, options, given)


def canonical(text: str) -> str:
    """A spec in canonical form (``ldb[b=1,a=2]`` and ``ldb[a=2,b=1]`` are one variant)."""
    return str(parse_spec(text))


def build(text: str) -> Strategy:
    """The strategy a spec names, labelled with the spec in canonical form."""
    spec = parse_spec(text)
    return spec.kind.make(spec.options, str(spec))


def run(
    task: Task,
    program: str,
    model: Model,
    runner: Runner,
    strategy: str = "ldb",
    *,
    settings: Settings | None = None,
    on_attempt: Callable[[Attempt], None] | None = None,
) -> Session:
    """Debug ``program`` for ``task`` with the strategy a spec names (``ldb``, ``feedback[retry=off]``)."""
    return run_loop(
        build(strategy), task, program, model, runner, settings or Settings(), on_attempt=on_attempt
    )


def with_option(text: str, key: str, value: str) -> str:
    """``text`` with option ``key`` set to ``value`` where its strategy has that option and the spec does
    not set it already (the CLI's ``--level`` and ``--format``, aliases of ldb's options)."""
    written = split_options(text)
    if key in dict(written.options) or not any(
        key in k.options.model_fields for k in KINDS if k.name == written.name
    ):
        return canonical(text)
    return canonical(f"{written.name}[{','.join(f'{k}={v}' for k, v in (*written.options, (key, value)))}]")


def _kind(text: str, kinds: list[Kind], chosen: str | None) -> Kind:
    if chosen is None:
        return kinds[0]
    formats = [k.format for k in kinds if k.format is not None]
    if not formats:
        raise SpecError(f"{text!r}: {kinds[0].name} has no option 'format'; {_options_of(kinds[0])}")
    for kind in kinds:
        if kind.format == chosen:
            return kind
    raise SpecError(f"{text!r}: format: expected one of {', '.join(formats)}, not {chosen!r}")


def _explain(kind: Kind, exc: ValidationError) -> str:
    """One line per problem, naming the option and, for an unknown one, what the strategy has."""
    lines = []
    for error in exc.errors(include_url=False):
        key = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            elsewhere = [k.label for k in KINDS if k.name == kind.name and key in k.options.model_fields]
            where = f" (an option of {', '.join(elsewhere)})" if elsewhere else ""
            lines.append(f"{kind.label} has no option {key!r}{where}; {_options_of(kind)}")
        elif key:
            lines.append(f"{key}: {error['msg']}, not {error['input']!r}")
        else:
            lines.append(str(error["msg"]).removeprefix("Value error, "))
    return "; ".join(lines)


def _options_of(kind: Kind) -> str:
    return f"its options: {', '.join(sorted(kind.options.model_fields))}"
