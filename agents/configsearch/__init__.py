"""Search over parallel layouts of config tasks."""
