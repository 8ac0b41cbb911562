"""The agent graph and the ``agent`` command line."""
