"""One adapter per AI voice platform, all behind ``base.PlatformAdapter``; ``ADAPTERS`` by platform name."""

from __future__ import annotations

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

ADAPTERS: dict[str, PlatformAdapter] = {
    "generic": GenericAdapter(),
    "vapi": VapiAdapter(),
    "retell": RetellAdapter(),
    "elevenlabs": ElevenLabsAdapter(),
    "twilio": TwilioAdapter(),
    "bland": BlandAdapter(),
    "synthflow": SynthflowAdapter(),
}

__all__ = ["ADAPTERS", "Delivery", "DeliveryRefused", "Ignored", "Interpretation", "LiveUpdate", "MappingError",
           "PlatformAdapter"]
