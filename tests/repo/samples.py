"""Small repositories written on the fly, for the tests of ``tracefix pytest``."""

from __future__ import annotations

import textwrap
from pathlib import Path

SHOP = {
    "pytest.ini": "[pytest]\n",
    "shop/__init__.py": "",
    "shop/rates.py": '''
        """Tax rates by region."""

        RATES = {"eu": 0.2, "us": 0.1}


        def rate(region):
            """The tax rate of a region ("eu" or "us")."""
            return RATES[region.upper()]
    ''',
    "shop/pricing.py": '''
        """Prices of order lines."""

        from shop.rates import rate


        def line_price(qty, unit):
            """Price of qty items at a unit price."""
            return qty * unit


        def subtotal(lines):
            """Sum of the prices of (qty, unit) lines."""
            result = 0
            for qty, unit in lines:
                result = line_price(qty, unit)
            return result


        def with_tax(amount, region):
            """The amount with the region's tax added."""
            return round(amount * (1 + rate(region)), 2)
    ''',
    "shop/cart.py": '''
        """A shopping cart."""

        import functools

        from shop.pricing import line_price


        def logged(function):
            @functools.wraps(function)
            def wrapper(*args, **kwargs):
                return function(*args, **kwargs)

            return wrapper


        class Cart:
            """Lines of (qty, unit price)."""

            def __init__(self, lines):
                self.lines = list(lines)

            # The number of items, not of lines.
            @logged
            def count(self):
                """How many items the cart holds."""
                items = 0
                for qty, _unit in self.lines:
                    items += 1  # counts this line
                return items

            def total(self):
                """Sum of the line prices."""
                return sum(line_price(q, u) for q, u in self.lines)
    ''',
    "tests/conftest.py": """
        import pytest


        @pytest.fixture
        def lines():
            return [(1, 2), (2, 3)]
    """,
    "tests/test_pricing.py": """
        from shop.pricing import subtotal, with_tax


        def test_subtotal(lines):
            assert subtotal(lines) == 8


        def test_subtotal_one():
            assert subtotal([(3, 5)]) == 15


        def test_with_tax():
            assert with_tax(10, "eu") == 12.0
    """,
    "tests/test_cart.py": """
        from shop.cart import Cart


        def test_count():
            assert Cart([(2, 1), (3, 1)]).count() == 5


        def test_total():
            assert Cart([(2, 1), (3, 1)]).total() == 5
    """,
}


SEARCH = {
    "pytest.ini": "[pytest]\n",
    "algos/__init__.py": "",
    "algos/search.py": '''
        """Searching sorted lists."""


        def find(xs, x):
            """The index of x in the sorted list xs, or -1."""
            low, high = 0, len(xs) - 1
            while low <= high:
                mid = (low + high) // 2
                if xs[mid] == x:
                    return mid
                if xs[mid] < x:
                    low = mid
                else:
                    high = mid - 1
            return -1
    ''',
    "tests/cases.json": "[[[1, 3, 5, 7], 5, 2], [[1, 3, 5, 7], 1, 0], [[2, 4], 4, 1], [[2, 4], 3, -1]]\n",
    "tests/test_search.py": """
        import json
        from pathlib import Path

        import pytest

        from algos.search import find

        CASES = json.loads((Path(__file__).parent / "cases.json").read_text())


        @pytest.mark.parametrize(("xs", "x", "index"), CASES)
        def test_find(xs, x, index):
            assert find(xs, x) == index


        def test_unrelated():
            assert sorted([2, 1]) == [1, 2]
    """,
}
"""A binary search whose ``low = mid`` never moves past ``mid``: the cases looking right of the middle never
end; the cases come from a data file; only the middle case and a leftward one finish."""


def write_repo(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> dedented text) under ``root``; returns ``root``."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root
