"""The control-flow graph of one function, in the line numbers of the file it came from.

``build_cfg(source, "name")`` returns a :class:`~tracefix.records.CFG` whose blocks are basic blocks of the
function's statements. Rules a reader of a CFG can rely on:

* Every header of a compound statement is a block of its own (the ``if``/``elif``/``while`` test, the ``for``
  line, a ``with`` header, the ``match`` subject, each ``case`` pattern and guard, each ``except`` clause), so
  each loop iteration shows as a visit of the header. A header owns the lines of its header expression only.
* The ``try:`` line belongs to the first block of the ``try`` body (CPython reports a line event for it);
  ``else:`` and ``finally:`` lines belong to no block (they produce no event).
* Decorators, the ``def`` line and the docstring belong to no block (a docstring-only body is one block).
* A line holding several statements belongs to the first one: in ``if x: return 1`` the line is the ``if``
  header's, and the header's edges lead where the ``return`` goes (here: to :data:`EXIT`, label ``return``).
* Edges that leave the function point at :data:`EXIT` (-1); ``successors`` lists only real blocks.
* A ``with`` header is reached again when the body is left (its ``__exit__`` runs there, and CPython reports
  the ``with`` line), so edges go from the body's exits back to the header and on from it.
* Python 3.11 reports the re-raise at the end of a ``finally`` clause on the line of the clause's last
  statement even when the path skipped that statement; each way out of a ``finally`` body has an
  ``exception`` edge to that statement's block so 3.11 traces stay on edges.
* Exceptions: each block inside a ``try`` body has an ``exception`` edge to the first ``except`` clause; an
  ``except`` clause that does not match leads to the next one, then outwards; ``finally`` clauses and ``with``
  exits are entered by every way out of their body and pass each one on.

Edge labels: ``next``, ``true``/``false`` (if, while, for: ``true`` = got an item, ``false`` = exhausted;
except clauses: ``true`` = matched), ``loop`` (back to a loop header), ``break``, ``continue``, ``return``,
``raise`` (a ``raise`` or failing ``assert``), ``exception`` (an implicit exception), ``finally`` (into a
``with`` exit), ``case``/``nomatch`` (match), ``exit`` (falling off the end of the function).
"""

from __future__ import annotations

from collections import Counter

from tracefix.analysis.cfg_builder import EXCEPTIONAL, EXIT, Builder, Node
from tracefix.analysis.source import FunctionNotFound, parse_function, split_lines
from tracefix.records import CFG, Block, Edge, EdgeLabel

__all__ = ["EXIT", "FunctionNotFound", "build_cfg"]

_HEADERS = frozenset({"if", "elif", "while", "for", "with", "match", "case", "except"})


def build_cfg(source: str, function: str) -> CFG:
    """Build the CFG of ``function`` (a name, ``Class.method`` or ``outer.inner``) defined in ``source``.

    Raises ``SyntaxError`` when the source does not parse and :class:`FunctionNotFound` (whose message lists
    the functions that exist) when no such function is defined.
    """
    node = parse_function(source, function)
    builder = Builder([line.rstrip("\r\n") for line in split_lines(source)])
    builder.function(node)
    nodes = dict(enumerate(builder.nodes))
    _bypass_empty(nodes)
    _merge_chains(nodes)
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return _to_record(function, nodes, first, node.end_lineno or node.lineno)


def _bypass_empty(nodes: dict[int, Node]) -> None:
    """Remove nodes that own no line, linking their predecessors straight to their successors."""
    for empty_id in [i for i, n in nodes.items() if not n.lines and i != 0]:
        empty = nodes.pop(empty_id)
        for node in nodes.values():
            incoming = [(t, label) for t, label in node.out if t == empty_id]
            if not incoming:
                continue
            node.out = [(t, label) for t, label in node.out if t != empty_id]
            for _, in_label in incoming:
                for target, out_label in empty.out:
                    if target == empty_id:
                        continue
                    edge = (target, out_label if out_label != "next" else in_label)
                    if edge not in node.out:
                        node.out.append(edge)


def _merge_chains(nodes: dict[int, Node]) -> None:
    """Fuse straight-line runs of statements (same exception handling) into basic blocks."""
    changed = True
    while changed:
        changed = False
        # counts only fall while merging (a merged edge may duplicate one), so stale counts stay safe
        in_degree = Counter(t for n in nodes.values() for t, _ in n.out)
        for node_id in sorted(nodes):
            node = nodes.get(node_id)
            while node is not None and node.kind not in _HEADERS:
                target = _sole_next(node)
                if target is None or target == node_id or in_degree[target] != 1:
                    break
                succ = nodes.get(target)
                if succ is None or succ.kind != "body" or succ.scope is not node.scope:
                    break
                node.lines |= succ.lines
                node.out = [e for e in node.out if e != (target, "next")]
                node.out += [e for e in succ.out if e not in node.out]
                del nodes[target]
                changed = True


def _sole_next(node: Node) -> int | None:
    control = [(t, label) for t, label in node.out if label not in EXCEPTIONAL]
    if len(control) == 1 and control[0][1] == "next":
        return control[0][0]
    return None


def _to_record(function: str, nodes: dict[int, Node], first: int, last: int) -> CFG:
    order = sorted(nodes, key=lambda i: (min(nodes[i].lines) if nodes[i].lines else 0, i))
    new_id = {old: new for new, old in enumerate(order)}
    new_id[EXIT] = EXIT
    blocks: list[Block] = []
    edges: list[Edge] = []
    for old in order:
        node = nodes[old]
        out = _plain_first([(new_id[t], label) for t, label in node.out if t in new_id])
        edges += [Edge(source=new_id[old], target=t, label=_label(label)) for t, label in out]
        successors = sorted({t for t, _ in out if t != EXIT})
        blocks.append(Block(id=new_id[old], lines=sorted(node.lines), successors=successors, kind=node.kind))
    entry = new_id.get(0, 0)
    return CFG(function=function, entry=entry, blocks=blocks, edges=edges, first_line=first, last_line=last)


def _plain_first(out: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """One kind of edge per target, so that (source, target) names its label: a plain edge hides an
    exceptional one to the same block, and an explicit ``raise`` hides an implicit ``exception`` (edges to
    EXIT keep every label: returning and raising are different ways out)."""

    def rank(label: str) -> int:
        return 0 if label not in EXCEPTIONAL else 1 if label == "raise" else 2

    best = {t: min(rank(label) for u, label in out if u == t) if t != EXIT else 2 for t, _ in out}
    kept = [(t, label) for t, label in out if rank(label) <= best[t]]
    return sorted(kept, key=lambda edge: rank(edge[1]))


def _label(label: str) -> EdgeLabel:
    labels: dict[str, EdgeLabel] = {name: name for name in EdgeLabel.__args__}  # type: ignore[attr-defined]
    return labels[label]
