from tracefix.strategies.extract import code_blocks, extract_program, normalized

ORIGINAL = """import math

def helper(x):
    return x * 2

def f(xs):
    return sum(helper(x) for x in xs)
"""


def test_takes_the_last_fenced_block_that_defines_the_entry_point() -> None:
    reply = (
        "Buggy:\n```python\ndef f(xs):\n    return 0\n```\nFixed:\n```python\ndef f(xs):\n    return 1\n```\n"
    )
    assert extract_program(reply, "f").program == "def f(xs):\n    return 1\n"


def test_skips_blocks_that_do_not_define_the_entry_point() -> None:
    reply = "```python\ndef f(x):\n    return x\n```\n\n```python\nprint(f(2))\n```"
    assert extract_program(reply, "f").program == "def f(x):\n    return x\n"


def test_unterminated_fence_cut_by_the_token_limit_is_trimmed_until_it_parses() -> None:
    reply = "```python\ndef f(x):\n    y = x + 1\n    return y\n\ndef g(x):\n    return (x +"
    program = extract_program(reply, "f").program
    assert program is not None and "return y" in program and "def g" not in program


def test_bare_code_without_fences() -> None:
    assert extract_program("def f():\n    return 3\n", "f").program == "def f():\n    return 3\n"


def test_demonstration_code_is_dropped() -> None:
    reply = "```python\ndef f(x):\n    return x\n\nprint(f(1))\nassert f(1) == 1\nif __name__ == '__main__':\n    f(2)\n```"
    assert extract_program(reply, "f").program == "def f(x):\n    return x\n"


def test_missing_helpers_and_imports_are_taken_from_the_original() -> None:
    reply = "```python\ndef f(xs):\n    return math.floor(sum(helper(x) for x in xs))\n```"
    program = extract_program(reply, "f", ORIGINAL).program
    assert program is not None
    assert program.startswith("import math\n")
    assert "def helper(x):" in program and "math.floor" in program
    assert program.count("def f(") == 1


def test_method_entry_points() -> None:
    reply = "```python\nclass Stack:\n    def push(self, x):\n        self.items.append(x)\n```"
    assert extract_program(reply, "Stack.push").program is not None
    assert extract_program(reply, "Stack.pop").failure == "no code defining Stack.pop that parses"


def test_failures_say_why() -> None:
    assert extract_program("", "f").failure == "empty reply"
    assert extract_program("I think the bug is in line 3.", "f").failure == "no code in reply"
    assert extract_program("```python\ndef g(:\n```", "f").failure == "no code defining f that parses"


def test_non_python_fences_are_ignored() -> None:
    assert code_blocks("```json\n{}\n```\n```python\nx = 1\n```") == ["x = 1\n"]


def test_normalized_ignores_comments_docstrings_and_layout() -> None:
    a = 'def f(x):\n    """Doc."""\n    # comment\n    return x+1\n'
    b = "def f(x):\n    return (x + 1)\n"
    assert normalized(a) == normalized(b)
    assert normalized(a) != normalized("def f(x):\n    return x + 2\n")
