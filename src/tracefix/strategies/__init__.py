"""Debugging strategies (ldb and the baselines) over one loop engine."""
