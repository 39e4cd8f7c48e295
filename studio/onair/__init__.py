"""The studio's side of the on-air kiosk: the command protocol and the link that sends it.

Nothing here imports Textual; the kiosk is a client of these models.
"""

from studio.onair.client import KioskLink, KioskUnreachable, request
from studio.onair.fingerprints import FingerprintMasker, fingerprints_of
from studio.onair.protocol import (
    SCENES,
    Alert,
    Caption,
    ChatMessage,
    PollResults,
    PushSlides,
    Quit,
    Reply,
    ScreenRequest,
    SecretFingerprints,
    ShowMessage,
    SwitchScene,
    TickerUpdate,
    decode,
    default_socket_path,
    encode,
)

__all__ = [
    "SCENES",
    "Alert",
    "Caption",
    "ChatMessage",
    "FingerprintMasker",
    "KioskLink",
    "KioskUnreachable",
    "PollResults",
    "PushSlides",
    "Quit",
    "Reply",
    "ScreenRequest",
    "SecretFingerprints",
    "ShowMessage",
    "SwitchScene",
    "TickerUpdate",
    "decode",
    "default_socket_path",
    "encode",
    "fingerprints_of",
    "request",
]
