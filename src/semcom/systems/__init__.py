"""One module per paper's system, wiring encoder, channel and decoder together."""

from semcom.systems.jscc import PointToPointJSCC

__all__ = ["PointToPointJSCC"]
