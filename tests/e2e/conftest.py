import pytest

from receptionist.app import App
from receptionist.config import Profile
from receptionist.providers.secrets import memory_secret_store
from receptionist_sandbox.stack import SandboxStack


@pytest.fixture(scope="module")
def stack():
    with SandboxStack() as s:
        s.microsoft.device_code_interval = 0
        yield s


#: these desks run on the wall clock: texts go out at whatever hour the tests run (no quiet hours)
AT_ANY_HOUR = Profile.from_dict({"reminders": {"quiet_start_hour": 0, "quiet_end_hour": 0}})


@pytest.fixture
def e2e_app(stack, db_url, clock):
    """A console wired to the sandbox through the real client libraries, on a real webhook port."""
    profile = stack.profile(AT_ANY_HOUR, ingest_port=0)
    secrets = memory_secret_store("e2e")
    webhook_secret = stack.provision(profile, secrets)
    app = App.build(profile, db_url, secrets)
    app.ingestor.start()
    app.receiver.start()
    app.webhook_secret = webhook_secret
    yield app
    app.stop()
