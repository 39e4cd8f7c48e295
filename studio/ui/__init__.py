"""The Textual side of the studio: the app base and themes shared by the kiosk and console."""
