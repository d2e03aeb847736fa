"""Backends: ways to turn the typed IR into something a machine runs (see DESIGN.md)."""
