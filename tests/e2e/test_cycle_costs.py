"""What a sync cycle costs against the stand-ins, counted (never timed): requests, keyring reads."""

from __future__ import annotations

from collections import Counter

import pytest

from receptionist.app import App
from receptionist.providers.microsoft_auth import CACHE_KEY
from receptionist.providers.secrets import memory_secret_store

pytestmark = pytest.mark.e2e


class CountingSecrets:
    def __init__(self, inner):
        self.inner, self.reads = inner, Counter()

    def get(self, key):
        self.reads[key] += 1
        return self.inner.get(key)

    def set(self, key, value):
        self.inner.set(key, value)

    def delete(self, key):
        self.inner.delete(key)


@pytest.fixture
def counted(stack, db_url):
    profile = stack.profile(ingest_port=0)
    secrets = CountingSecrets(memory_secret_store("cycle-costs"))
    stack.provision(profile, secrets)
    app = App.build(profile, db_url, secrets, with_receiver=False)
    yield app, secrets
    app.stop()


def test_the_outlook_sign_in_is_read_from_the_keyring_once_per_cycle(counted, stack):
    app, secrets = counted
    stack.seed_week()
    app.engine.targets["outlook:default"].provider.page_size = 3  # a full read of many pages
    for cycle in range(3):
        secrets.reads.clear()
        before = len(stack.microsoft.requests)
        report = app.engine.run_cycle()
        assert not report.pull_errors, report
        graph = [p for _m, p in stack.microsoft.requests[before:] if "/v1.0/" in p]
        assert len(graph) >= (5 if cycle == 0 else 1)
        assert secrets.reads[CACHE_KEY] == 1
