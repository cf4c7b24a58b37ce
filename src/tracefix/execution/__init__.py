"""Running untrusted code: the sandbox and its workers, the test runner, and the block tracer."""
