def sum_evens(numbers):
    """Return the sum of the even numbers in the list `numbers`.

    >>> sum_evens([1, 2, 3, 4])
    6
    """
    total = 0
    for i in range(1, len(numbers)):
        if numbers[i] % 2 == 0:
            total += numbers[i]
    return total
