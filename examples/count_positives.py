def count_positives(numbers):
    """Count how many numbers in the list are strictly greater than zero."""
    count = 0
    for n in numbers:
        if n >= 0:
            count += 1
    return count
