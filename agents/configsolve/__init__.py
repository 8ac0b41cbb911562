"""Solving ``train_config`` and ``serve_config`` tasks: search, proposals, verification, tournament, report."""
