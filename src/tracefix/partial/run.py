"""Execute a fragment end to end: choose the predictor, open the sandbox, run the loop (the CLI and the API)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from tracefix.execution.sandbox import Executor
from tracefix.models.base import Model
from tracefix.partial.fragment import Fragment
from tracefix.partial.loop import Execution, Predictor, Runner, execute
from tracefix.partial.model import ModelPredictor
from tracefix.partial.rules import Rules

PredictorName = Literal["model", "rules", "plain"]
PREDICTORS: dict[PredictorName, str] = {
    "model": "the model writes each stand-in from the code and the last run's error (SelfPiCo); rules when "
    "its reply has no usable code",
    "rules": "a permissive dummy or a typed guess for each missing thing, no model (LExecutor's idea)",
    "plain": "one run as the code is, nothing supplied",
}


def predictor_for(name: PredictorName, model: Model | None) -> Predictor | None:
    if name == "plain":
        return None
    if name == "rules":
        return Rules()
    if model is None:
        raise ValueError("the model predictor needs a model")
    return ModelPredictor(model)


def run_fragment(
    fragment: Fragment,
    predictor: PredictorName = "model",
    *,
    model: Model | None = None,
    runs: int = 10,
    runner: Runner | None = None,
    say: Callable[[str], None] = lambda text: None,
) -> Execution:
    """Execute ``fragment`` in the sandbox (``runner``: an open executor to reuse) with ``predictor``."""
    chosen = predictor_for(predictor, model)
    if runner is not None:
        return execute(fragment, runner, chosen, runs=runs, say=say)
    with Executor(workers=1) as executor:
        return execute(fragment, executor, chosen, runs=runs, say=say)
