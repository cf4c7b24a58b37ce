"""The benchmark harness: datasets, seeds, hidden-test scoring, the run store, the runner and its report."""
