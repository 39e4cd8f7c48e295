"""Voice: speak on air, music, volumes and mute, the alert sounds in use."""
