"""mochic: a native compiler for the Mochi language."""

__version__ = "0.1.0"
