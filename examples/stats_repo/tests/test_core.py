from stats.core import report


def test_report():
    assert report([1, 3]) == "sum of squares: 10"
