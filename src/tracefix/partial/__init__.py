"""Executing code that cannot run as it is (SelfPiCo's method): stand-ins for what it lacks, run after run."""
