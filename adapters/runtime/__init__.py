"""What a long-running bot process needs beside its platform: health, metrics, logs, pack reloads,
finishing deliveries left by a crash, and a graceful shutdown. Shared by Slack and Discord."""

from __future__ import annotations

from adapters.runtime.metrics import Metrics
from adapters.runtime.service import Runtime
from adapters.runtime.work import InFlight

__all__ = ["InFlight", "Metrics", "Runtime"]
