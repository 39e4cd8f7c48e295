"""The broadcast pipeline: virtual display, on-air terminal, sound server, one FFmpeg encode to
every destination, per-destination retries, a watchdog and thumbnails. No UI here."""

from studio.broadcast.destinations import Destination, DestinationState
from studio.broadcast.display import VirtualDisplay
from studio.broadcast.events import (
    AudioStateChanged,
    DestinationStateChanged,
    EncoderStats,
    PipelineRecovered,
    PipelineStateChanged,
    ProcessExited,
    ProcessOutput,
    ProcessStarted,
    RecoveryScheduled,
)
from studio.broadcast.pipeline import BroadcastPipeline
from studio.broadcast.sound_server import SoundServer
from studio.broadcast.terminal import ON_AIR_GRID, ON_AIR_GRIDS, OnAirGrid, Terminal, measured_grid
from studio.broadcast.thumbnails import TitleBand, band_jpeg, capture, is_blank, thumbnail_jpeg

__all__ = [
    "ON_AIR_GRID",
    "AudioStateChanged",
    "ON_AIR_GRIDS",
    "BroadcastPipeline",
    "Destination",
    "DestinationState",
    "DestinationStateChanged",
    "EncoderStats",
    "OnAirGrid",
    "PipelineRecovered",
    "PipelineStateChanged",
    "ProcessExited",
    "ProcessOutput",
    "ProcessStarted",
    "RecoveryScheduled",
    "SoundServer",
    "Terminal",
    "TitleBand",
    "VirtualDisplay",
    "band_jpeg",
    "capture",
    "is_blank",
    "measured_grid",
    "thumbnail_jpeg",
]
