"""A stateful emulator of retake.tv, ClawCast and baseFM for tests and rehearsals."""
