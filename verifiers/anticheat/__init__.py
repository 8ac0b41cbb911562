"""Anti-cheat checks: static signals in the source and its symbols, probe runs, and roofline plausibility."""
