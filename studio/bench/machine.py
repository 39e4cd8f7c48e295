"""The machine a benchmark ran on: CPU, cores, memory, kernel, load, tool versions."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path


def _first_line(argv: list[str], pattern: str = "") -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    text = (done.stdout or done.stderr).strip()
    for line in text.splitlines():
        if not pattern or re.search(pattern, line):
            return line.strip()
    return text.splitlines()[0] if text else "unknown"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def memory_total() -> str:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def package_version(name: str) -> str:
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True
    )
    return done.stdout.strip() or "not installed"


def describe() -> dict[str, str]:
    return {
        "CPU": cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": memory_total(),
        "kernel": platform.release(),
        "FFmpeg": _first_line(["ffmpeg", "-version"]),
        "x264": "libx264 " + package_version("libx264-164"),
        "Xvfb": "xvfb " + package_version("xvfb"),
        "nginx RTMP module": package_version("libnginx-mod-rtmp"),
        "Python": sys.version.split()[0],
        "Textual": metadata.version("textual"),
    }
