"""The desk's people changed by an owner (``desk.people.with_person`` / ``without_person``: PINs kept as hashes, an
owner always left, nobody else may), and every saved Settings change audited by ``desk.settings.apply``: who changed
which setting from what to what, a secret as "changed" only, the people per person; a person added can pick
themself at once."""

from __future__ import annotations

import json

import pytest

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.people import hash_pin, verify_pin
from receptionist.errors import UserError
from tests.helpers.desk import make_desk


@pytest.fixture
def profile():
    return Profile.from_dict({"people": {"members": [
        {"name": "Ana Ruiz", "role": "owner", "pin_hash": hash_pin("1357")},
        {"name": "Ben Cole", "role": "front-desk"}]}})


@pytest.fixture
def desk(store, profile, clock):
    return make_desk(store, profile, events.EventBus(), {}, clock=clock)


def with_members(profile: Profile, members) -> Profile:
    return profile.model_copy(update={"people": profile.people.model_copy(update={"members": members})})


def test_an_owner_adds_changes_and_removes_people(desk, profile):
    people, members = desk.people, profile.people.members
    added = people.with_person(members, " Cara Diaz ", "front-desk", phone="+13125550100", pin="2468",
                               actor="Ana Ruiz")
    cara = added[-1]
    assert (cara.name, cara.role, cara.phone) == ("Cara Diaz", "front-desk", "+13125550100")
    assert "2468" not in cara.pin_hash and verify_pin("2468", cara.pin_hash)
    promoted = people.with_person(added, "cara diaz", "owner", actor="Ana Ruiz")  # no PIN given: kept
    assert promoted[-1].role == "owner" and promoted[-1].pin_hash == cara.pin_hash and len(promoted) == 3
    assert people.with_person(promoted, "Cara Diaz", "owner", pin="", actor="Ana Ruiz")[-1].pin_hash == ""
    # the name as last typed (a change of spelling is a rename)
    assert [p.name for p in people.without_person(promoted, "ana ruiz", actor="Ana Ruiz")] == ["Ben Cole",
                                                                                                "cara diaz"]


@pytest.mark.parametrize(("change", "sentence"), [
    (lambda p, m: p.with_person(m, "Cara", actor="Ben Cole"), "only an owner can change the desk's people"),
    (lambda p, m: p.without_person(m, "Ben Cole", actor="Ben Cole"), "only an owner"),
    (lambda p, m: p.with_person(m, "Cara", pin="12", actor="Ana Ruiz"), "a PIN is 4 to 8 digits"),
    (lambda p, m: p.with_person(m, "  ", actor="Ana Ruiz"), "a person's name is 1 to 80 characters"),
    (lambda p, m: p.with_person(m, "Cara", "boss", actor="Ana Ruiz"), "'boss' is not a role"),
    (lambda p, m: p.without_person(m, "Ana Ruiz", actor="Ana Ruiz"), "need an owner"),
    (lambda p, m: p.with_person(m, "Ana Ruiz", "front-desk", actor="Ana Ruiz"), "need an owner"),
    (lambda p, m: p.without_person(m, "Zed", actor="Ana Ruiz"), "Zed is not one of this desk's people"),
])
def test_what_may_not_be_done_to_the_people_is_refused(desk, profile, change, sentence):
    with pytest.raises(UserError, match=sentence):
        change(desk.people, profile.people.members)


def test_every_saved_setting_is_audited_with_the_person_and_no_secret(desk, profile, store):
    desk.people.pick("Ana Ruiz", "1357")
    cara = desk.people.with_person(profile.people.members, "Cara Diaz", pin="2468")
    changed = with_members(profile.model_copy(update={
        "location": profile.location.model_copy(update={"name": "Bright Smiles"}),
        "sync": profile.sync.model_copy(update={"max_attempts": 3})}), cara)
    desk.settings.apply(changed, secrets=["twilio.auth_token"])
    [people_row] = store.audit.entries(action="settings.people_changed")
    [settings_row] = store.audit.entries(action="settings.changed")
    assert people_row.actor == settings_row.actor == "Ana Ruiz"
    assert people_row.detail == {"changes": [{"person": "Cara Diaz", "added": True, "role": "front-desk",
                                              "pin": True}]}
    changes = {c["setting"]: c for c in settings_row.detail["changes"]}
    assert changes["location.name"] == {"setting": "location.name", "from": profile.location.name,
                                        "to": "Bright Smiles"}
    assert changes["sync.max_attempts"]["to"] == 3
    assert changes["twilio.auth_token"] == {"setting": "twilio.auth_token", "changed": True}
    text = json.dumps([e.detail for e in store.audit.entries()])
    assert "2468" not in text and "pbkdf2" not in text
    # the running desk knows Cara now: she picks herself with her PIN, and a removed Ben is refused
    assert desk.people.pick("Cara Diaz", "2468") == "Cara Diaz"
    desk.people.pick("Ana Ruiz", "1357")
    desk.settings.apply(with_members(changed, desk.people.without_person(cara, "Ben Cole")))
    assert store.audit.entries(action="settings.people_changed")[0].detail == {
        "changes": [{"person": "Ben Cole", "removed": True}]}
    with pytest.raises(UserError, match="not one of this desk's people"):
        desk.people.pick("Ben Cole")
    before = len(store.audit.entries())
    desk.settings.apply(with_members(changed, desk.people.without_person(cara, "Ben Cole")))  # saved unchanged
    assert len(store.audit.entries()) == before


def test_which_options_hold_secrets():
    from receptionist.services.settings import is_secret

    assert all(map(is_secret, ("twilio.auth_token", "google.client_secret", "caldav.password", "vapi.api_key",
                               "people.pin_hash")))
    assert not any(map(is_secret, ("google.token_uri", "twilio.account_sid", "location.name")))
