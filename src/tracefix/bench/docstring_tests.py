"""Visible tests from the examples in a task's docstring (HumanEval without LDB's ``given_tests``).

Two forms are read:

* doctest examples: ``>>> f(x)`` followed by the expected output on the next line(s);
  (a doctest line that is itself a comparison, ``>>> f(x) == y`` with no output, is taken as it stands);
* example lines that start with a call of the entry point and give the result after an arrow or a verb:
  ``f(x) ==> y``, ``f(x) => y``, ``f(x) ➞ y``, ``f(x) -> y``, ``f(x) == y``, ``f(x) = y``,
  ``f(x) returns y``, ``f(x) should return y``, ``f(x)  # returns y``;
* argument/result pairs named by parameter: ``For lst = [1, 2] the output should be 3`` and
  ``Input: arr = [1, 2], k = 1`` followed by ``Output: [2]``, mapped onto the signature's parameters.

Arguments and results must be Python literals (``true``/``false`` read as booleans) that end the example
(only a comment or punctuation may follow), so prose such as ``tri(n) = 1 + n / 2`` or
``f(x) -> 19 - 5 - 6 = 8`` is not mistaken for an example. Examples in prose are a heuristic: LDB's
``given_tests`` (``--data-dir``) are the reference visible tests.

Each example becomes ``assert f(x) == y``; an example whose assert would not parse is dropped.
"""

from __future__ import annotations

import ast
import re

_SEPARATORS = re.compile(r"^\s*(?:#\s*)?(?:==>|=>|➞|->|==|=|should\s+return|returns?)\s*", re.IGNORECASE)
_BULLET = re.compile(r"^[\s*\-•]+")


def docstring_tests(prompt: str, entry_point: str) -> list[str]:
    """The examples of ``prompt`` (a function signature and docstring) as assert statements, in order."""
    lines = prompt.splitlines()
    tests = (
        _doctest_examples(lines)
        or _arrow_examples(lines, entry_point)
        or _named_examples(prompt, _parameters(prompt, entry_point), entry_point)
    )
    return list(dict.fromkeys(t for t in tests if _parses(t)))


def _doctest_examples(lines: list[str]) -> list[str]:
    tests: list[str] = []
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped.startswith(">>>"):
            i += 1
            continue
        source = [stripped[3:].strip()]
        i += 1
        while i < len(lines) and lines[i].strip().startswith("..."):
            source.append(lines[i].strip()[3:].strip())
            i += 1
        expected: list[str] = []
        while i < len(lines) and lines[i].strip() and not lines[i].strip().startswith(">>>"):
            if lines[i].strip() == '"""':
                break
            expected.append(lines[i].strip())
            i += 1
        call = _code(" ".join(source))
        if call and expected:
            tests.append(f"assert {call} == {_code(' '.join(expected)) or ' '.join(expected)}")
        elif call and " == " in call:
            tests.append(f"assert {call}")
    return tests


def _code(text: str) -> str | None:
    """``text`` as one line of code without comments (so ``== y`` cannot land inside one), if it parses."""
    try:
        return ast.unparse(ast.parse(text, mode="eval"))
    except SyntaxError:
        return None


def _arrow_examples(lines: list[str], entry_point: str) -> list[str]:
    tests: list[str] = []
    for raw in lines:
        line = _BULLET.sub("", raw)
        if not line.startswith(entry_point + "("):
            continue
        call_end = _call_end(line, len(entry_point))
        if call_end is None:
            continue
        call, rest = line[:call_end], line[call_end:]
        match = _SEPARATORS.match(rest)
        expected = _literal_prefix(rest[match.end() :]) if match else None
        if expected is not None and _literal_args(call):
            tests.append(f"assert {call} == {expected}")
    return tests


_FOR_OUTPUT = re.compile(r"For\s+(\w+)\s*=\s*(.+?)\s*,?\s+the output should be\s+(.+)", re.IGNORECASE)
_INPUT_OUTPUT = re.compile(r"Input:\s*(.+?)\s*\n\s*Output:\s*(.+)", re.IGNORECASE)


def _named_examples(prompt: str, params: list[str], entry_point: str) -> list[str]:
    pairs = [(f"{m[1]} = {m[2]}", m[3]) for m in _FOR_OUTPUT.finditer(prompt)]
    pairs += [(m[1], m[2]) for m in _INPUT_OUTPUT.finditer(prompt)]
    tests = []
    for assignments, result in pairs:
        args = _positional_args(assignments, params)
        expected = _literal_prefix(result)
        if args is not None and expected is not None:
            tests.append(f"assert {entry_point}({', '.join(args)}) == {expected}")
    return tests


def _positional_args(assignments: str, params: list[str]) -> list[str] | None:
    """``a = 1, b = [2, 3]`` as positional arguments, when the names are exactly the parameters in order."""
    try:
        tree = ast.parse(f"_({assignments.replace(' = ', '=').replace('= ', '=')})", mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(tree, ast.Call) or tree.args or [k.arg for k in tree.keywords] != params:
        return None
    values = [ast.unparse(k.value) for k in tree.keywords]
    return values if all(_is_literal(v) for v in values) else None


def _parameters(prompt: str, entry_point: str) -> list[str]:
    try:
        tree = ast.parse(prompt)
    except SyntaxError:
        return []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == entry_point:
            return [a.arg for a in node.args.args]
    return []


def _call_end(line: str, open_at: int) -> int | None:
    """Index just past the parenthesis that closes the one at ``open_at`` (quotes respected), if any."""
    depth, quote = 0, ""
    for i in range(open_at, len(line)):
        ch = line[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _literal_prefix(text: str) -> str | None:
    """The literal that starts ``text`` and ends the example (JSON-style ``true``/``false`` fixed), if any."""
    text = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", text.strip()))
    text = text[:-1] if text.endswith(".") else text  # a sentence's full stop, not a float's point
    for end in range(len(text), 0, -1):
        candidate = text[:end].strip()
        if _is_literal(candidate) and _ENDS_EXAMPLE.match(text[end:]):
            return ast.unparse(ast.parse(candidate, mode="eval"))
    return None


# What may follow the result of an example: nothing, a comment, or closing punctuation.
_ENDS_EXAMPLE = re.compile(r"^\s*(?:$|#|[.,;]\s*$|[.,;]?\s+\()")


def _literal_args(call: str) -> bool:
    try:
        node = ast.parse(call, mode="eval").body
    except SyntaxError:
        return False
    if not isinstance(node, ast.Call):
        return False
    return all(_is_literal(ast.unparse(arg)) for arg in [*node.args, *(k.value for k in node.keywords)])


def _is_literal(text: str) -> bool:
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def _parses(test: str) -> bool:
    try:
        ast.parse(test)
    except SyntaxError:
        return False
    return True
