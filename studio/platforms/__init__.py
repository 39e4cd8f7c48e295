"""Async clients of retake.tv, ClawCast and baseFM, one module per platform."""
