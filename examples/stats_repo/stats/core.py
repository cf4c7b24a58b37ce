def squares(xs):
    """The square of each number."""
    return [x + x for x in xs]


def sum_of_squares(xs):
    """The sum of the squares of xs."""
    return sum(squares(xs))


def report(xs):
    """A line naming the sum of the squares."""
    return f"sum of squares: {sum_of_squares(xs)}"
