"""Hard cases for the CFG property test: programs with tricky control flow, and tests that drive them.

Data only: ``CASES`` is a list of (name, program source, visible tests). The property test runs them in a
child process under a line tracer and checks every observed block move against ``build_cfg``.
"""

CASES = [
    (
        "try_finally_in_loops",
        """
def f(n):
    total = 0
    for i in range(n):
        try:
            if i == 1:
                continue
            if i == 3:
                break
            if i == 5:
                return total
            total += i
        finally:
            total += 100
    else:
        total = -1
    return total
""",
        ["f(0)", "f(2)", "f(4)", "f(9)"],
    ),
    (
        "return_in_finally_loop",
        """
def f(xs):
    while xs:
        x = xs.pop()
        try:
            try:
                if x < 0:
                    raise ValueError(x)
                if x == 0:
                    return "zero"
            finally:
                xs.append(1) if x == 7 else None
        except ValueError:
            continue
        finally:
            x = None
    return "empty"
""",
        ["f([])", "f([1, 2])", "f([0, -1])", "f([-1, -2])", "f([7])"],
    ),
    (
        "while_else_break",
        """
def f(n, stop):
    i = 0
    while i < n:
        if i == stop:
            break
        i += 1
    else:
        i = -1
    while True:
        i += 1
        if i > 5:
            break
    while 1:
        i += 1
        if i > 8: break
    return i
""",
        ["f(3, 1)", "f(3, 5)", "f(0, 0)"],
    ),
    (
        "match_statement",
        """
def f(p):
    match p:
        case 0 | 1:
            r = "small"
        case [x, y] if x > y:
            r = "desc"
        case [x, y]:
            r = "pair"
        case {"k": v}:
            r = v
        case str() as s if (
            len(s) > 2
        ):
            r = s
        case _:
            r = None
    match r:
        case None:
            return 0
        case other:
            return other
""",
        ["f(0)", "f([2, 1])", "f([1, 2])", "f({'k': 3})", "f('abcd')", "f('a')", "f(9.5)"],
    ),
    (
        "with_statements",
        """
class CM:
    def __init__(self, swallow=False):
        self.swallow = swallow
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return self.swallow

def f(x):
    with CM() as a, CM(
        swallow=True
    ) as b:
        if x == 1:
            raise KeyError(x)
        y = 2
    for i in range(3):
        with CM():
            if i == x:
                continue
            if i == 2:
                break
    try:
        with CM():
            with CM():
                if x == 3:
                    return "three"
                1 / (x - 4)
    except ZeroDivisionError:
        return "zero"
    return y
""",
        ["f(0)", "f(1)", "f(2)", "f(3)", "f(4)"],
    ),
    (
        "nested_functions_and_closures",
        """
def outer(n):
    total = 0
    def inner(k,
              step=1):
        nonlocal total
        for j in range(k):
            total += step
        return total
    squares = [i * i for i in range(n)
               if i % 2]
    gen = (inner(i) for i in range(n))
    lam = lambda q: q + 1
    class Local:
        value = n
    result = sum(gen) + lam(Local.value) + sum(squares)
    return result
""",
        ["outer(0)", "outer(4)"],
    ),
    (
        "generators",
        """
def gen(n):
    for i in range(n):
        if i % 2:
            yield i
        else:
            x = yield -i
            if x:
                return
    try:
        yield 100
    finally:
        n = 0

def take(n):
    g = gen(n)
    out = [next(g)]
    for v in g:
        out.append(v)
    g2 = gen(4)
    next(g2)
    try:
        g2.send(True)
    except StopIteration:
        pass
    g3 = gen(0)
    next(g3)
    g3.close()
    return out
""",
        ["take(5)", "take(1)"],
    ),
    (
        "recursion",
        """
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)

def walk(tree, depth=0):
    if not tree:
        return depth
    best = depth
    for child in tree:
        try:
            best = max(best, walk(child, depth + 1))
        except RecursionError:
            best = -1
    return best
""",
        ["fib(10)", "walk([[], [[[]]]])"],
    ),
    (
        "exceptions_caught",
        """
def parse(items):
    out = []
    for item in items:
        try:
            out.append(int(item))
        except (TypeError, ValueError) as e:
            out.append(str(e)[:3])
        except KeyError:
            out.append("key")
        else:
            out.append("ok")
        finally:
            out.append("|")
    try:
        assert out, "empty"
    except AssertionError:
        out = None
    return out

def raiser(x):
    try:
        try:
            if x:
                raise KeyError(x)
        except KeyError:
            raise ValueError(x)
    except ValueError:
        return "converted"
    try:
        {}[x]
    except:
        return "bare"
""",
        ["parse(['1', 'x', None])", "parse([])", "raiser(1)", "raiser(0)"],
    ),
    (
        "except_star",
        """
def f(kind):
    seen = []
    try:
        if kind == 1:
            raise ExceptionGroup("g", [ValueError(1), KeyError(2)])
        if kind == 2:
            raise ExceptionGroup("g", [KeyError(2)])
        if kind == 3:
            raise ExceptionGroup("g", [TypeError(3)])
    except* ValueError:
        seen.append("v")
    except* KeyError:
        seen.append("k")
    return seen

def g(kind):
    out = None
    try:
        out = f(kind)
    except* TypeError:
        out = "type"
    except* (KeyError, OSError) as eg:
        out = len(eg.exceptions)
    return out
""",
        ["f(0)", "f(1)", "f(2)", "g(3)", "g(0)"],
    ),
    (
        "async_code",
        """
import asyncio

class ACM:
    async def __aenter__(self):
        return self
    async def __aexit__(self, *exc):
        return False

async def agen(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i

async def main(n):
    total = 0
    async with ACM():
        async for v in agen(n):
            if v == 3:
                break
            total += v
        await asyncio.sleep(0)
    return total

def run(n):
    return asyncio.run(main(n))
""",
        ["run(2)", "run(5)"],
    ),
    (
        "methods_and_decorators",
        '''
import functools

def deco(fn):
    @functools.wraps(fn)
    def wrapper(*a, **k):
        return fn(*a, **k)
    return wrapper

class Box:
    def __init__(self, items):
        self.items = list(items)

    @deco
    def biggest(self):
        """Return the largest item."""
        best = None
        for x in self.items:
            if best is None or x > best: best = x
        return best

    @property
    def size(self): return len(self.items)

def use(xs):
    b = Box(xs)
    return b.biggest(), b.size
''',
        ["use([3, 1, 2])", "use([])"],
    ),
    (
        "one_liners_and_semicolons",
        '''
def f(x):
    if x: return 1
    while x < 3: x += 1
    for i in range(2): x += i
    a = 1; b = 2
    try: y = 1 / x
    except ZeroDivisionError: y = 0
    return a + b + y

def g(x):
    """Only a docstring."""

def h(x): return x * 2
''',
        ["f(0)", "f(5)", "g(1)", "h(1)"],
    ),
    (
        "dead_code_and_globals",
        """
COUNT = 0

def f(x):
    global COUNT
    COUNT += 1
    if x:
        return x
        COUNT -= 1
    del x
    pass
    raise SystemExit
""",
        ["f(1)", "f(0)"],
    ),
    (
        "multiline_statements",
        """
def f(
    a,
    b,
):
    total = (a +
             b)
    if (a > 0 and
            b > 0):
        total = sum(
            [x for x in range(a)
             if x % 2]
        )
    elif (
        a < 0
    ):
        total = -1
    for x in [
        a,
        b,
    ]:
        total += {
            "k": x,
        }["k"]
    return (
        total
    )
""",
        ["f(3, 4)", "f(-1, 2)", "f(0, 0)"],
    ),
    (
        "return_and_break_inside_finally",
        """
def f(n):
    for i in range(n):
        try:
            if i == 2:
                raise ValueError(i)
        finally:
            if i == 1:
                continue
            if i >= 2:
                break  # also swallows the ValueError
    try:
        return "body"
    finally:
        if n == 4:
            return "finally"
""",
        ["f(0)", "f(2)", "f(3)", "f(4)", "f(5)"],
    ),
    (
        "errors_in_else_and_finally_and_handlers",
        """
def f(x):
    try:
        try:
            y = 10 // x
        except ZeroDivisionError:
            y = int("bad") if x == 0 else 0
        else:
            if y == 5:
                raise KeyError(y)
        finally:
            if x == 1:
                raise IndexError(x)
    except ValueError:
        try:
            return [][0]
        except IndexError:
            return "nested"
    except (KeyError, IndexError) as e:
        return type(e).__name__
    return y
""",
        ["f(0)", "f(1)", "f(2)", "f(3)"],
    ),
    (
        "loop_with_retry_and_match",
        """
def f(commands):
    out = []
    attempts = 0
    while attempts < 10:
        attempts += 1
        if not commands:
            break
        cmd = commands.pop(0)
        match cmd.split():
            case ["skip"]:
                continue
            case ["stop"]:
                break
            case ["fail", reason]:
                try:
                    raise RuntimeError(reason)
                except RuntimeError as e:
                    out.append(str(e))
                    continue
            case ["add", *rest] if rest:
                out.extend(rest)
            case _:
                out.append("?")
    else:
        out.append("too many")
    return out
""",
        ["f(['add a b', 'skip', 'fail x', 'zzz', 'stop', 'add c'])", "f(['skip'] * 12)", "f([])"],
    ),
    (
        "raising_iterators_and_headers",
        """
def gen(n):
    yield 1
    if n:
        raise ValueError(n)
    yield 2

def f(n):
    total = 0
    try:
        for v in gen(n):
            total += v
    except ValueError:
        total = -1
    try:
        while total < 3 and 1 / (total - 2):
            total += 1
    except ZeroDivisionError:
        total = 99
    try:
        if n > 1 and [][n]:
            pass
    except IndexError:
        total += 1000
    return total
""",
        ["f(0)", "f(1)", "f(2)"],
    ),
    (
        "generator_protocol",
        """
def worker():
    total = 0
    try:
        while True:
            try:
                item = yield total
            except KeyError:
                total = -1
                continue
            if item is None:
                break
            total += item
    finally:
        total = 0
    return "closed"

def drive():
    w = worker()
    next(w)
    w.send(2)
    w.throw(KeyError)
    w.send(3)
    try:
        w.send(None)
    except StopIteration as stop:
        result = stop.value
    w2 = worker()
    next(w2)
    w2.close()
    return result
""",
        ["drive()"],
    ),
    (
        "async_generator_finally",
        """
import asyncio

async def ticks(n):
    try:
        for i in range(n):
            yield i
            await asyncio.sleep(0)
    finally:
        n = 0

async def consume(n):
    seen = []
    async for t in ticks(n):
        if t == 2:
            break
        seen.append(t)
    else:
        seen.append("all")
    return seen

def run(n):
    return asyncio.run(consume(n))
""",
        ["run(2)", "run(5)"],
    ),
    (
        "with_in_loops_and_swallowed_errors",
        """
import contextlib

def f(items):
    out = []
    for item in items:
        with contextlib.suppress(ZeroDivisionError):
            if item == 0:
                out.append(1 / item)
            if item < 0:
                continue
            out.append(item)
        with (
            open("/dev/null") as a,
            contextlib.nullcontext(item) as b,
        ):
            if b == 9:
                break
    return out
""",
        ["f([1, 0, -1, 9, 2])", "f([])"],
    ),
    (
        "deep_recursion_caught",
        """
import sys

def down(n):
    return down(n + 1) if n < 10 ** 6 else n

def f():
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        down(0)
    except RecursionError:
        caught = True
    finally:
        sys.setrecursionlimit(limit)
    return caught
""",
        ["f()"],
    ),
    (
        "one_line_compounds",
        """
def f(x):
    while x > 0: x -= 2
    else: x = -x
    for i in range(2): pass
    else: x += 1
    with open("/dev/null"): y = 1
    try: z = 1 // x
    except ZeroDivisionError: z = 0
    else: z += 1
    finally: z += 10
    if x: pass
    elif y: x = 2
    else: x = 3
    match x:
        case 1: return "one"
        case _: return z
""",
        ["f(0)", "f(1)", "f(4)"],
    ),
    (
        "inheritance_and_dunder",
        """
class Base:
    def total(self, xs):
        acc = 0
        for x in xs:
            acc += self.weight(x)
        return acc

    def weight(self, x):
        return x

class Square(Base):
    def weight(self, x):
        if x < 0:
            raise ValueError(x)
        return super().weight(x) ** 2

    def __eq__(self, other):
        return isinstance(other, Square)

def f(xs):
    s = Square()
    try:
        return s.total(xs), s == Square(), s == 1
    except ValueError as e:
        return str(e)
""",
        ["f([1, 2])", "f([1, -2])"],
    ),
    (
        "constant_tests_and_walrus",
        """
def f(items):
    out = []
    if True:
        out.append(0)
    if False:
        out.append(-1)
    while False:
        out.append(-2)
    if __debug__:
        out.append(1)
    it = iter(items)
    while (item := next(it, None)) is not None:
        if item == "":
            ...
        elif item.startswith("#"):
            del item
            continue
        else:
            out.append(item)
    for _ in ():
        pass
    return out
""",
        ["f(['a', '', '#c', 'd'])", "f([])"],
    ),
    (
        "reraise_and_finally_with_own_loop",
        """
def f(xs):
    try:
        try:
            for x in xs:
                assert x >= 0, x
        except AssertionError:
            if len(xs) > 2:
                raise
            return "caught"
    finally:
        for y in range(3):
            if y == 1:
                break
        else:
            y = None
    return y

def g(xs):
    try:
        return f(xs)
    except AssertionError as e:
        return ("outer", e.args)
""",
        ["f([1, 2])", "f([-1])", "g([1, 2, -3])"],
    ),
    (
        "match_in_with_in_generator",
        """
import contextlib

@contextlib.contextmanager
def tag(log, name):
    log.append("<" + name)
    try:
        yield name
    finally:
        log.append(name + ">")

def events(log, shapes):
    for shape in shapes:
        with tag(log, "shape") as t:
            match shape:
                case {"kind": "circle", "r": r} if r > 0:
                    yield ("circle", r)
                case {"kind": "stop"}:
                    return
                case {"kind": kind}:
                    yield (kind, None)
                    continue
                case _:
                    raise ValueError(shape)
        log.append("after")

def run(shapes):
    log = []
    try:
        out = list(events(log, shapes))
    except ValueError:
        out = "bad"
    return out, log
""",
        [
            "run([{'kind': 'circle', 'r': 2}, {'kind': 'sq'}, {'kind': 'stop'}, 1])",
            "run([{'kind': 'circle', 'r': 0}, 5])",
        ],
    ),
    (
        "nested_async_defs_and_lambdas",
        """
import asyncio

def make(n):
    async def fetch(i, delay=lambda k: 0):
        await asyncio.sleep(delay(i))
        if i % 2:
            return i
        raise KeyError(i)

    async def gather():
        results = []
        for i in range(n):
            try:
                results.append(await fetch(i))
            except KeyError:
                results.append(None)
        return results

    return asyncio.run(gather())
""",
        ["make(3)"],
    ),
    (
        "pass_only_and_ellipsis",
        """
def a():
    pass

def b(x):
    ...

def c(x):
    "Doc."
    return x

def use():
    return a(), b(1), c(2)
""",
        ["use()"],
    ),
    (
        "finally_ending_in_skipped_code",
        """
def f1(c):
    try:
        raise KeyError
    finally:
        if c:
            x = 1

def f2(c):
    try:
        raise KeyError
    finally:
        while c:
            c -= 1
            if c == 1:
                break
        else:
            y = 2

def f3(c):
    for j in range(2):
        try:
            if j:
                continue
            raise KeyError
        except KeyError:
            pass
        finally:
            for i in range(3):
                if i == c:
                    break
            else:
                z = 0

def run(c):
    for fn in (f1, f2, f3):
        try:
            fn(c)
        except KeyError:
            pass
""",
        ["run(0)", "run(1)", "run(3)"],
    ),
]
