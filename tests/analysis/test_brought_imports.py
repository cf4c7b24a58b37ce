"""The imports a rewritten function brings into its module (the repository mode takes only the function)."""

from __future__ import annotations

from tracefix.analysis.imports import brought_imports, with_imports
from tracefix.records import Task
from tracefix.repo.fix import merge_functions
from tracefix.strategies.view import merged

MODULE = '''"""Paths."""

import os
from os.path import split

try:
    from heapq import heappush_max
except ImportError:
    heappush_max = None


def augpath(path, ext=None):
    base, _ = os.path.splitext(path)
    return base + (ext or "")
'''
REPLY = """from pathlib import Path
import os
import json
from heapq import heappush_max


def augpath(path, ext=None):
    return str(Path(path).with_suffix(ext or "")) + os.sep * 0
"""


def test_only_imports_of_names_the_function_reads_and_the_module_lacks_come_along() -> None:
    function = REPLY.split("\n\n\n")[1]
    assert brought_imports(REPLY, function, MODULE) == ["from pathlib import Path"]
    assert brought_imports("def f(:", function, MODULE) == []


def test_they_go_after_the_last_top_level_import() -> None:
    text = with_imports(MODULE, ["from pathlib import Path"])
    assert "from os.path import split\nfrom pathlib import Path\n\ntry:" in text
    assert with_imports('"""Doc."""\nx = 1\n', ["import re"]) == '"""Doc."""\nimport re\n\nx = 1\n'
    assert with_imports("x = 1\n", ["import re"]) == "import re\n\nx = 1\n"


def test_the_next_program_and_the_patch_keep_the_import_the_new_function_needs() -> None:
    task = Task(entry_point="augpath", visible_tests=[], shown="function")
    program = merged(MODULE, REPLY, task)
    assert "from pathlib import Path\n" in program and "import json" not in program
    assert "return str(Path(path)" in program
    patched, changed = merge_functions(MODULE, REPLY)
    assert changed == ["augpath"] and "from pathlib import Path\n" in patched and "import json" not in patched


def test_a_method_brings_its_imports_too() -> None:
    module = "class Box:\n    def size(self):\n        return 1\n"
    reply = "import math\n\n\nclass Box:\n    def size(self):\n        return math.floor(2.5)\n"
    patched, changed = merge_functions(module, reply)
    assert changed == ["Box.size"] and patched.startswith("import math\n\nclass Box:")
