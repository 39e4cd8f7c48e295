"""The broadcast pipeline: virtual display, on-air terminal, sound server, one FFmpeg encode to
every destination, per-destination retries, a watchdog and thumbnails. No UI here."""
