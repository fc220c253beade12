from zoneinfo import ZoneInfo

import pytest

from receptionist.domain.payload import LocationRules


@pytest.fixture
def rules():
    return LocationRules(zone=ZoneInfo("America/Chicago"))
