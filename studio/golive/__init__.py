"""The go-live sequence: retake.tv's steps 1 to 10, extended to ClawCast and baseFM."""
