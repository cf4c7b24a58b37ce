"""The two baselines of the LDB paper, in the same loop as ldb so all three compare fairly.

- ``feedback``: the failing test and its error or wrong output, nothing else ("simple feedback").
- ``explain``: self-debugging with explanation (Chen et al. 2023): the model explains the code line by line
  on the failing input, then fixes it, in one reply.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracefix.records import Attempt
from tracefix.strategies.common import problem_values
from tracefix.strategies.engine import Context, LoopState
from tracefix.strategies.options import Options
from tracefix.strategies.templates import chat


class FeedbackOptions(Options):
    """feedback: the failing test and what went wrong, nothing else."""


class ExplainOptions(Options):
    """explain: the model explains the code line by line on the failing input, then fixes it."""


@dataclass
class PromptOnly:
    """A strategy whose prompt is one template over the failing test."""

    options: Options
    name: str
    template: str
    level: str = "block"

    def attempt(self, ctx: Context, state: LoopState) -> Attempt:
        attempt = Attempt(iteration=state.iteration)
        ctx.request_program(chat(self.template, **problem_values(state)), state, attempt)
        return attempt


def feedback(options: FeedbackOptions, name: str) -> PromptOnly:
    return PromptOnly(options, name, "feedback")


def explain(options: ExplainOptions, name: str) -> PromptOnly:
    return PromptOnly(options, name, "explain")
