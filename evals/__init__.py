"""Batch evaluation runs, metrics and reports."""
