"""Verifiers of config tasks: memory per GPU, predicted speed, framework configs, and a real dry run."""
