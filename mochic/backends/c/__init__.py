"""The C backend: typed IR -> portable C99 plus the runtime library (`mochic build`)."""
