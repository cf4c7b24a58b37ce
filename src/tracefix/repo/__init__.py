"""Debug a failing pytest test of a real repository: run it sandboxed, find and trace the function under test,
fix it as a patch that touches only that function (see ``tracefix.repo.fix``)."""
