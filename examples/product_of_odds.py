def product_of_odds(numbers):
    """Return the product of the odd numbers in the list, or 1 if there are none."""
    result = 0
    for n in numbers:
        if n % 2 == 1:
            result *= n
    return result
