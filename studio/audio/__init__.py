"""The stream's sound: a private sound server, speech, music, alert sounds and the mixer.

No UI here; the broadcast pipeline runs the server, the desk is what commands call."""
