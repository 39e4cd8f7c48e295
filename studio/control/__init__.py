"""The broadcast as a service: its control API.

A running go-live listens on a 0600 Unix socket in the studio's state folder. The
console, ``studio golive`` in a terminal, ``--headless`` and the CLI verbs are its
clients: they attach (``hello``), get the whole state with a sequence number, then every
event after it, and send commands (answer a step, stop, chat, slides, duets, …).

* ``protocol``  the wire format (read its docstring first)
* ``client``    ``ControlClient``, the one client every UI and verb uses
* ``state``     the one fold of the events: the snapshot a client gets on attach, and
                what the console rebuilds from it
* ``commands``  every command: an arguments model and a handler (add new ones there)
* ``server``    many clients, bounded queues, none able to slow the broadcast
* ``operator``  steps that need a human, answered by any client
* ``service``   ``serve`` (in a terminal or detached) and ``spawn_detached``
* ``endpoint``  where the socket is and how clients find it
"""

from studio.control.client import CommandFailed, ControlClient, parse_event
from studio.control.endpoint import NoBroadcast, find_socket
from studio.control.protocol import PROTOCOL_VERSION, Response

__all__ = [
    "PROTOCOL_VERSION",
    "CommandFailed",
    "ControlClient",
    "NoBroadcast",
    "Response",
    "find_socket",
    "parse_event",
]
