"""Microsoft sign-in through the real msal against the TLS stand-in: what is stored, refresh, revocation."""

from __future__ import annotations

import json
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from receptionist.config import OutlookSettings
from receptionist.errors import AuthError, TransientError, UserError
from receptionist.providers.microsoft_auth import (
    CACHE_KEY,
    EXPIRED_MESSAGE,
    connect_outlook,
    is_connected,
    outlook_token_source,
)
from receptionist_sandbox.faults import Fault
from receptionist_sandbox.microsoft import MicrosoftSandbox
from tests.providers.microsoft_fixtures import ScriptedBrowser, stored_secret_names


def graph_me(sandbox, token: str) -> requests.Response:
    return requests.get(f"{sandbox.graph_endpoint}/me", headers={"Authorization": f"Bearer {token}"},
                        verify=str(sandbox.cert_path), timeout=5)


def token_posts(sandbox) -> int:
    return sum(1 for method, path in sandbox.requests if method == "POST" and path.endswith("/oauth2/v2.0/token"))


def test_device_code_sign_in_stores_only_the_token_cache(microsoft_sandbox, outlook_settings, outlook_secrets):
    prompts: list[str] = []

    user = connect_outlook(outlook_settings, outlook_secrets, device_code=True, on_prompt=prompts.append, timeout=10)

    assert user == "frontdesk@demo.example"
    assert len(prompts) == 1 and f"{microsoft_sandbox.url}/devicelogin" in prompts[0]
    assert stored_secret_names(outlook_secrets) == {CACHE_KEY}
    cache = json.loads(outlook_secrets.get(CACHE_KEY))
    assert [a["username"] for a in cache["Account"].values()] == ["frontdesk@demo.example"]
    assert cache["RefreshToken"] and cache["AccessToken"]
    # the first poll was answered authorization_pending, the second one signed in
    assert token_posts(microsoft_sandbox) == 2
    token = outlook_token_source(outlook_settings, outlook_secrets).access_token()
    assert graph_me(microsoft_sandbox, token).json()["userPrincipalName"] == "frontdesk@demo.example"


def test_device_code_sign_in_that_nobody_completes_times_out(microsoft_sandbox, outlook_settings, outlook_secrets):
    microsoft_sandbox.approve_device_codes = False

    with pytest.raises(UserError, match="no sign-in within"):
        connect_outlook(outlook_settings, outlook_secrets, device_code=True, on_prompt=lambda m: None, timeout=0.3)

    assert outlook_secrets.get(CACHE_KEY) is None
    assert token_posts(microsoft_sandbox) >= 2  # it kept polling until the deadline


def test_interactive_sign_in_uses_pkce_and_form_post_to_a_loopback_redirect(microsoft_sandbox, outlook_settings,
                                                                               outlook_secrets):
    browser = ScriptedBrowser(microsoft_sandbox.cert_path)

    user = connect_outlook(outlook_settings, outlook_secrets, open_url=browser, timeout=10)

    assert user == "frontdesk@demo.example"
    assert browser.redirect_status == 200
    query = parse_qs(urlsplit(browser.visited[0]).query)
    assert query["response_mode"] == ["form_post"]
    assert query["code_challenge_method"] == ["S256"]
    assert urlsplit(query["redirect_uri"][0]).hostname == "localhost"
    assert stored_secret_names(outlook_secrets) == {CACHE_KEY}
    token = outlook_token_source(outlook_settings, outlook_secrets).access_token()
    assert graph_me(microsoft_sandbox, token).status_code == 200


def test_interactive_sign_in_rejects_an_answer_with_a_forged_state(microsoft_sandbox, outlook_settings,
                                                                   outlook_secrets):
    browser = ScriptedBrowser(microsoft_sandbox.cert_path, tamper=lambda fields: {**fields, "state": "forged"})

    with pytest.raises(UserError, match="sign-in failed"):
        connect_outlook(outlook_settings, outlook_secrets, open_url=browser, timeout=10)

    assert outlook_secrets.get(CACHE_KEY) is None
    assert token_posts(microsoft_sandbox) == 0  # the code was never redeemed


def test_interactive_sign_in_gives_up_after_the_timeout(microsoft_sandbox, outlook_settings, outlook_secrets):
    opened: list[str] = []

    with pytest.raises(UserError, match="no sign-in within"):
        connect_outlook(outlook_settings, outlook_secrets, open_url=opened.append, timeout=0.2)

    assert len(opened) == 1 and opened[0].startswith(microsoft_sandbox.authority)
    assert outlook_secrets.get(CACHE_KEY) is None


def test_cached_access_token_is_reused_without_asking_the_server(microsoft_sandbox, outlook_settings,
                                                                 connected_secrets):
    source = outlook_token_source(outlook_settings, connected_secrets)
    before = token_posts(microsoft_sandbox)

    first, second = source.access_token(), source.access_token()

    assert first == second
    assert token_posts(microsoft_sandbox) == before


def test_access_token_refused_by_graph_is_refreshed_silently(microsoft_sandbox, outlook_settings, connected_secrets):
    source = outlook_token_source(outlook_settings, connected_secrets)
    old = source.access_token()
    stored_before = connected_secrets.get(CACHE_KEY)
    microsoft_sandbox.expire_access_tokens()
    assert graph_me(microsoft_sandbox, old).status_code == 401

    new = source.access_token(force_refresh=True)

    assert new != old
    assert graph_me(microsoft_sandbox, new).status_code == 200
    assert connected_secrets.get(CACHE_KEY) != stored_before  # the refreshed cache was written back


def test_short_lived_access_tokens_are_refreshed_by_msal_itself(ms_clock, outlook_secrets):
    # AAD hands out tokens msal considers expired (< 5 minutes left): every call refreshes with the RT
    with MicrosoftSandbox(device_code_interval=0, token_lifetime=120, now=ms_clock) as sandbox:
        settings = OutlookSettings(enabled=True, graph_endpoint=sandbox.graph_endpoint, authority=sandbox.authority,
                                   client_id=sandbox.client_id, ca_bundle=str(sandbox.cert_path))
        connect_outlook(settings, outlook_secrets, device_code=True, on_prompt=lambda m: None, timeout=10)
        source = outlook_token_source(settings, outlook_secrets)
        first = source.access_token()
        ms_clock.advance(seconds=121)
        assert graph_me(sandbox, first).status_code == 401
        second = source.access_token()
        assert second != first
        assert graph_me(sandbox, second).status_code == 200


def test_revoked_refresh_token_means_connect_again(microsoft_sandbox, outlook_settings, connected_secrets):
    source = outlook_token_source(outlook_settings, connected_secrets)
    source.access_token()
    microsoft_sandbox.revoke_refresh_tokens()

    with pytest.raises(AuthError) as caught:
        source.access_token(force_refresh=True)

    assert str(caught.value) == EXPIRED_MESSAGE


def test_no_stored_sign_in_means_connect_again(outlook_settings, outlook_secrets):
    assert not is_connected(outlook_secrets)
    with pytest.raises(AuthError, match="receptionist connect outlook"):
        outlook_token_source(outlook_settings, outlook_secrets).access_token()


def test_a_new_sign_in_is_picked_up_by_an_existing_token_source(microsoft_sandbox, outlook_settings,
                                                                connected_secrets):
    source = outlook_token_source(outlook_settings, connected_secrets)
    source.access_token()
    microsoft_sandbox.revoke_refresh_tokens()
    connected_secrets.delete(CACHE_KEY)  # the stored sign-in is gone
    with pytest.raises(AuthError):
        source.access_token(force_refresh=True)

    connect_outlook(outlook_settings, connected_secrets, device_code=True, on_prompt=lambda m: None, timeout=10)

    assert graph_me(microsoft_sandbox, source.access_token(force_refresh=True)).status_code == 200


def test_sign_in_service_outage_is_transient_not_a_lost_sign_in(microsoft_sandbox, outlook_settings,
                                                                connected_secrets):
    source = outlook_token_source(outlook_settings, connected_secrets)
    source.access_token()
    microsoft_sandbox.faults.add(Fault(status=503), method="POST", path=r"/oauth2/v2.0/token$", times=1)

    with pytest.raises(TransientError):
        source.access_token(force_refresh=True)


class CountingSecrets:
    """A secret store that counts reads (each one is a keyring round trip on a desktop)."""

    def __init__(self, inner):
        self.inner, self.reads = inner, 0

    def get(self, key):
        self.reads += 1
        return self.inner.get(key)

    def set(self, key, value):
        self.inner.set(key, value)

    def delete(self, key):
        self.inner.delete(key)


def test_the_keyring_is_read_once_per_cycle_not_per_request(microsoft_sandbox, outlook_settings, connected_secrets):
    counting = CountingSecrets(connected_secrets)
    source = outlook_token_source(outlook_settings, counting)
    posts = token_posts(microsoft_sandbox)

    tokens = {source.access_token() for _ in range(20)}

    assert len(tokens) == 1 and counting.reads == 1
    assert token_posts(microsoft_sandbox) == posts  # and msal answered from its cache
    source.new_cycle()
    assert {source.access_token() for _ in range(5)} == tokens
    assert counting.reads == 2
    source.access_token(force_refresh=True)  # Graph refused the token: the keyring may hold a newer sign-in
    assert counting.reads == 3


def test_a_sign_in_made_elsewhere_is_used_from_the_next_cycle(microsoft_sandbox, outlook_settings,
                                                              connected_secrets):
    source = outlook_token_source(outlook_settings, connected_secrets)
    old = source.access_token()

    # another process (``receptionist connect outlook``) signs in again and stores a new token cache
    connect_outlook(outlook_settings, connected_secrets, device_code=True, on_prompt=lambda m: None, timeout=10)
    assert source.access_token() == old  # within this cycle: the copy read at its start
    source.new_cycle()

    new = source.access_token()
    assert new != old and graph_me(microsoft_sandbox, new).status_code == 200


def test_cancel_ends_either_sign_in_at_once_and_the_code_is_handed_over(microsoft_sandbox, outlook_settings,
                                                                       outlook_secrets):
    """The window's Cancel sets ``stop``: a sign-in with a 300-second limit ends at once, storing nothing; with
    ``on_code`` the address and the code are handed over (the window shows them) instead of msal's sentence."""
    microsoft_sandbox.approve_device_codes = False
    stop, codes, prompts = threading.Event(), [], []

    def on_code(url, code):
        codes.append((url, code))
        stop.set()  # the person presses Cancel as soon as the code is shown

    with pytest.raises(UserError, match="the sign-in was cancelled"):
        connect_outlook(outlook_settings, outlook_secrets, device_code=True, on_prompt=prompts.append,
                        on_code=on_code, stop=stop, timeout=300)
    [(url, code)] = codes
    assert url == f"{microsoft_sandbox.url}/devicelogin" and code and prompts == []

    stop = threading.Event()
    with pytest.raises(UserError, match="the sign-in was cancelled"):
        connect_outlook(outlook_settings, outlook_secrets, open_url=lambda _url: stop.set(), stop=stop, timeout=300)
    assert outlook_secrets.get(CACHE_KEY) is None
