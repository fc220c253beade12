"""One adapter per AI voice platform, all behind ``base.PlatformAdapter``; ``ADAPTERS`` by platform name."""

from __future__ import annotations

from collections.abc import Mapping

from receptionist.ingest.platforms.base import (
    Delivery,
    DeliveryRefused,
    Ignored,
    Interpretation,
    LiveUpdate,
    MappingError,
    PlatformAdapter,
)
from receptionist.ingest.platforms.bland import BlandAdapter
from receptionist.ingest.platforms.elevenlabs import ElevenLabsAdapter
from receptionist.ingest.platforms.generic import GenericAdapter
from receptionist.ingest.platforms.retell import RetellAdapter
from receptionist.ingest.platforms.synthflow import SynthflowAdapter
from receptionist.ingest.platforms.twilio import TwilioAdapter
from receptionist.ingest.platforms.vapi import VapiAdapter


def build_adapters(replay_windows: Mapping[str, int] | None = None) -> dict[str, PlatformAdapter]:
    """The adapters with this desk's replay windows (seconds, by platform); others keep each platform's default
    (Vapi/Retell/generic 5 min, ElevenLabs 30 min, Twilio 15 min; Bland and Synthflow sign no time)."""
    windows = dict(replay_windows or {})

    def window(name: str, default: int) -> int:
        return int(windows.get(name, default))

    return {
        "generic": GenericAdapter(window("generic", 300)),
        "vapi": VapiAdapter(window("vapi", 300)),
        "retell": RetellAdapter(window("retell", 300)),
        "elevenlabs": ElevenLabsAdapter(window("elevenlabs", 30 * 60)),
        "twilio": TwilioAdapter(window("twilio", 15 * 60)),
        "bland": BlandAdapter(),
        "synthflow": SynthflowAdapter(),
    }


ADAPTERS: dict[str, PlatformAdapter] = build_adapters()

__all__ = ["ADAPTERS", "Delivery", "DeliveryRefused", "Ignored", "Interpretation", "LiveUpdate", "MappingError",
           "PlatformAdapter", "build_adapters"]
