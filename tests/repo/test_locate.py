"""Reading a repository's files: --target, related tests, fixtures (no test of the repository runs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from samples import SHOP, write_repo

from tracefix.repo.locate import RepoError, fixture_sources, from_spec, related_tests


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_repo(tmp_path_factory.mktemp("shop"), SHOP)


def test_target_option_and_related_tests_are_read_from_the_files(shop: Path) -> None:
    assert from_spec(str(shop), "shop.cart:Cart.total").file == "shop/cart.py"
    assert from_spec(str(shop), "shop/pricing.py:with_tax").qualname == "with_tax"
    with pytest.raises(RepoError, match="functions in the file: line_price, subtotal, with_tax"):
        from_spec(str(shop), "shop.pricing:total")
    with pytest.raises(RepoError, match="no file for module"):
        from_spec(str(shop), "shop.nothing:f")
    related = related_tests(str(shop), "tests/test_pricing.py::test_subtotal", "subtotal")
    assert [case.nodeid for case in related] == ["tests/test_pricing.py::test_subtotal_one"]
    assert related[0].source.startswith("def test_subtotal_one():")


def test_the_fixtures_a_test_takes_are_read_from_the_nearest_conftest(shop: Path) -> None:
    test = "def test_subtotal(lines, tmp_path):\n    pass\n"
    assert fixture_sources(str(shop), "tests/test_pricing.py::test_subtotal", test) == [
        "@pytest.fixture\ndef lines():\n    return [(1, 2), (2, 3)]\n"
    ]
