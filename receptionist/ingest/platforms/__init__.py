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
from receptionist.ingest.platforms.generic import GenericAdapter

ADAPTERS: dict[str, PlatformAdapter] = {
    "generic": GenericAdapter(),
}

__all__ = ["ADAPTERS", "Delivery", "DeliveryRefused", "Ignored", "Interpretation", "LiveUpdate", "MappingError",
           "PlatformAdapter"]
