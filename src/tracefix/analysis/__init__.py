"""Program analysis: the control-flow graph of a function and finding/replacing a function in a file."""
