"""The operator console: a Textual client of the broadcast service.

``model`` and ``client`` hold no Textual, so the CLI and tests use them alone.
"""

from studio.console.client import Attachment, BusClient, Command, ConsoleClient, Response
from studio.console.model import ConsoleModel

__all__ = ["Attachment", "BusClient", "Command", "ConsoleClient", "ConsoleModel", "Response"]
