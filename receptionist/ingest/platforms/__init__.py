"""One adapter per AI voice platform, all behind ``base.PlatformAdapter``; ``ADAPTERS`` by platform name."""

from __future__ import annotations

from receptionist.config import Profile
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


def platform_adapters(profile: Profile) -> dict[str, PlatformAdapter]:
    """The adapters with the profile's replay windows: ``<platform>.replay_window_seconds``, and for our generic
    payload ``ingest.replay_window_seconds`` (each default, and where it comes from, is in ``config.py``). Bland
    and Synthflow sign no time, so they have no window: deduplication by call id stops their replays."""
    return {
        "generic": GenericAdapter(profile.ingest.replay_window_seconds),
        "vapi": VapiAdapter(profile.vapi.replay_window_seconds),
        "retell": RetellAdapter(profile.retell.replay_window_seconds),
        "elevenlabs": ElevenLabsAdapter(profile.elevenlabs.replay_window_seconds),
        "twilio": TwilioAdapter(profile.twilio.replay_window_seconds),
        "bland": BlandAdapter(),
        "synthflow": SynthflowAdapter(),
    }


#: The adapters with every default window (secret keys and mapping do not depend on the profile).
ADAPTERS: dict[str, PlatformAdapter] = platform_adapters(Profile())

__all__ = ["ADAPTERS", "Delivery", "DeliveryRefused", "Ignored", "Interpretation", "LiveUpdate", "MappingError",
           "PlatformAdapter", "platform_adapters"]
