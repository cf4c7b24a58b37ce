"""Execute a fragment end to end: choose the predictor, open the sandbox, run the loop (the CLI and the API)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from tracefix.execution.sandbox import Executor
from tracefix.models.base import Model
from tracefix.partial.fragment import Fragment
from tracefix.partial.loop import RUNS, Execution, Predictor, Runner, execute, then
from tracefix.partial.model import ModelPredictor
from tracefix.partial.rules import Rules

PredictorName = Literal["model", "rules", "plain"]
PREDICTORS: dict[PredictorName, str] = {
    "model": "the rules first; then, for the lines they did not run, the model writes the stand-ins and the "
    "call (SelfPiCo, with Treefix's prefix)",
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
    runs: int = RUNS,
    runner: Runner | None = None,
    say: Callable[[str], None] = lambda text: None,
) -> Execution:
    """Execute ``fragment`` in the sandbox (``runner``: an open executor to reuse) with ``predictor``. The
    model comes after the rules: it is asked only when the rules left lines that did not run, and the lines
    either ran count."""
    chosen = predictor_for(predictor, model)
    if runner is None:
        with Executor(workers=1) as executor:
            return run_fragment(fragment, predictor, model=model, runs=runs, runner=executor, say=say)
    if predictor != "model":
        return execute(fragment, runner, chosen, runs=runs, say=say)
    ruled = execute(fragment, runner, Rules(), runs=runs, say=say)
    if set(fragment.lines) <= set(ruled.executed):
        return ruled.model_copy(update={"predictor": "model"})
    say("the model, for the lines the rules did not run:")
    return then(ruled, execute(fragment, runner, chosen, runs=runs, ran=ruled.executed, say=say))
