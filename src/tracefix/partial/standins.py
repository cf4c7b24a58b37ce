"""Stand-ins: invented values, definitions and modules a fragment lacks, and the prelude that installs them.

Every stand-in is code that runs before the fragment (the *prelude*), in the fragment's module, inside the
sandbox. The prelude starts with :data:`HEADER`, which defines:

- ``_TracefixStandIn``: LExecutor's permissive dummy. Any attribute, call, item, arithmetic or comparison on
  it gives another stand-in; it is true, has length 1, iterates once (unpacked, into as many stand-ins as
  there are targets: ``a, b = stand_in``, read off the unpacking instruction), converts to 1, and works as
  a context manager. Its class is a stand-in too (its metaclass is as permissive), so the same object serves as a value,
  a function and a base class.
- ``_tracefix_class(name)``: a fresh stand-in class named ``name``.
- ``_tracefix_module(name, code)``: a module that is not installed, registered in ``sys.modules`` with its
  parents: ``code`` (a stand-in written for it) runs in it; without code, any attribute is a stand-in class.
  Submodules of a stand-in module import as stand-ins too, and so does a relative import: the fragment runs
  in the stand-in package ``_tracefix_package`` when it has stand-ins.
- ``_tracefix_extend(name, code)``: more code run in stand-in module ``name``.

Stand-ins carry the ``_tracefix_standin`` mark (``execution.partial.STANDIN_MARK``), so a run can tell an error
on a stand-in from an error of the fragment's own code.
"""

from __future__ import annotations

from tracefix.records import Missing, StandIn

__all__ = ["HEADER", "StandIn", "key", "prelude", "said"]

HEADER = '''\
import sys as _tracefix_sys
import opcode as _tracefix_opcode
import types as _tracefix_types
import importlib.abc as _tracefix_abc
import importlib.util as _tracefix_util


def _tracefix_new(*args, **kwargs):
    return _TracefixStandIn()


def _tracefix_unpacked(frame):
    # how many values the instruction iterating a stand-in unpacks it into (a, b = x): 1 when it does not
    code, at = frame.f_code.co_code, frame.f_lasti
    if at + 1 >= len(code):
        return 1
    if code[at] == _tracefix_opcode.opmap["UNPACK_SEQUENCE"]:
        return code[at + 1]
    if code[at] == _tracefix_opcode.opmap["UNPACK_EX"]:
        return code[at + 1]  # the targets before the starred one
    return 1


class _TracefixPermissive:
    _tracefix_standin = True

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _TracefixStandIn()

    def __call__(self, *args, **kwargs):
        return _TracefixStandIn()

    def __getitem__(self, key):
        return _TracefixStandIn()

    def __setitem__(self, key, value):
        pass

    def __delitem__(self, key):
        pass

    def __iter__(self):
        return iter([_TracefixStandIn() for _ in range(_tracefix_unpacked(_tracefix_sys._getframe(1)))])

    def __len__(self):
        return 1

    def __bool__(self):
        return True

    def __contains__(self, item):
        return False

    def __int__(self):
        return 1

    def __index__(self):
        return 1

    def __float__(self):
        return 1.0

    def __str__(self):
        return "stand-in"

    def __repr__(self):
        return "<stand-in>"

    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def __lt__(self, other):
        return False

    __le__ = __gt__ = __ge__ = __lt__


for _tracefix_op in (
    "add sub mul truediv floordiv mod pow matmul and or xor lshift rshift "
    "radd rsub rmul rtruediv rfloordiv rmod rpow rmatmul rand ror rxor rlshift rrshift neg pos abs invert "
    "divmod rdivmod round trunc floor ceil"
).split():
    setattr(_TracefixPermissive, f"__{_tracefix_op}__", _tracefix_new)


class _TracefixMeta(_TracefixPermissive, type):
    def __call__(cls, *args, **kwargs):
        return type.__call__(cls)

    def __getattr__(cls, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _TracefixStandIn()

    def __repr__(cls):
        return f"<stand-in class {cls.__name__}>"

    __hash__ = type.__hash__
    __eq__ = type.__eq__


class _TracefixStandIn(_TracefixPermissive, metaclass=_TracefixMeta):
    def __init__(self, *args, **kwargs):
        pass

    def __init_subclass__(cls, **kwargs):
        pass


def _tracefix_class(name):
    return _TracefixMeta(name, (_TracefixStandIn,), {})


def _tracefix_module(name, code=None):
    module = _tracefix_types.ModuleType(name)
    module._tracefix_standin = True
    module.__path__ = []
    module._tracefix_class = _tracefix_class
    module._TracefixStandIn = _TracefixStandIn
    if code is None:
        module.__getattr__ = lambda attr: _tracefix_class(attr)
    _tracefix_sys.modules[name] = module
    if code is not None:
        exec(compile(code, "<prelude>", "exec"), module.__dict__)
    parent, _, child = name.rpartition(".")
    if parent:
        owner = _tracefix_sys.modules.get(parent) or _tracefix_module(parent)
        setattr(owner, child, module)
    return module


def _tracefix_extend(name, code):
    exec(compile(code, "<prelude>", "exec"), _tracefix_sys.modules[name].__dict__)


class _TracefixFinder(_tracefix_abc.MetaPathFinder, _tracefix_abc.Loader):
    """Submodules of a stand-in module import as permissive stand-ins."""

    def find_spec(self, fullname, path, target=None):
        parent = fullname.rpartition(".")[0]
        owner = _tracefix_sys.modules.get(parent) if parent else None
        if owner is None or not getattr(owner, "_tracefix_standin", False):
            return None
        return _tracefix_util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return _tracefix_module(spec.name)

    def exec_module(self, module):
        pass


_tracefix_sys.meta_path.append(_TracefixFinder())
_tracefix_module("_tracefix_package")
'''


def said(standin: StandIn) -> str:
    """One line for a person: ``name price_of [model]: def price_of(item):  (+2 lines)``."""
    first, *rest = standin.code.strip().splitlines() or ["(permissive: any attribute is a stand-in)"]
    more = f"  (+{len(rest)} lines)" if rest else ""
    return f"{standin.kind} {standin.name} [{standin.by}]: {first}{more}"


def key(missing: Missing) -> tuple[str, str]:
    """Which stand-in answers ``missing`` (a later stand-in for the same key replaces the earlier one)."""
    if missing.kind == "attribute":
        return ("attribute", f"{missing.owner}.{missing.name}")
    return (missing.kind, missing.name)


def prelude(standins: list[StandIn]) -> str:
    """The code that installs ``standins`` (calls excluded), after :data:`HEADER`."""
    parts = [HEADER]
    for standin in standins:
        if standin.kind == "module":
            code = repr(standin.code) if standin.code.strip() else "None"
            parts.append(f"_tracefix_module({standin.name!r}, {code})\n")
        elif standin.kind == "attribute":
            owner = standin.name.rpartition(".")[0]
            parts.append(
                f"if {owner!r} in _tracefix_sys.modules:\n"
                f"    _tracefix_extend({owner!r}, {standin.code!r})\n"
                f"else:\n    exec({standin.code!r})\n"
            )
        elif standin.kind == "name":
            parts.append(standin.code.rstrip() + "\n")
    return "\n".join(parts)
