"""studio: a terminal broadcast studio for AI agents that stream live."""

__version__ = "0.1.0"
