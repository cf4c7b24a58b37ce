def longest_run(values):
    """Return the length of the longest run of equal adjacent values (0 for an empty list)."""
    best = 0
    current = 1
    for i in range(1, len(values)):
        if values[i] == values[i - 1]:
            current += 1
        else:
            best = max(best, current)
            current = 1
    return best
