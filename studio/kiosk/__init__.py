"""The on-air kiosk (Textual). The studio drives it through ``studio.onair``."""
