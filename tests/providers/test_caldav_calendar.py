"""The CalDAV provider against a real server (Radicale), a person's second client, and a fault proxy in front of
Radicale for what a server does on a bad day. The shared contract is in ``test_contract.py``; this file holds what
is CalDAV's own: sync tokens and their fallbacks, series across DST, quirks, faults, sign-in."""

from __future__ import annotations

import io
import json
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from caldav import DAVClient
from hypothesis import given, settings
from hypothesis import strategies as st

from receptionist.errors import ConflictError, NotFound, RateLimited, TransientError, Unreachable, UserError
from receptionist.providers.caldav_calendar import PASSWORD_KEY
from receptionist.providers.caldav_signin import candidate_urls, connect_caldav, discover
from receptionist.providers.secrets import memory_secret_store
from receptionist_sandbox.caldav import FaultProxy
from receptionist_sandbox.faults import Fault
from tests.helpers.caldav import PASSWORD, USER, Person, make_calendar, make_provider, settings_for
from tests.providers.test_contract import draft

UTC = timezone.utc
CHICAGO = ZoneInfo("America/Chicago")
WINDOW = (datetime(2027, 2, 1, tzinfo=UTC), datetime(2027, 5, 1, tzinfo=UTC))


@pytest.fixture
def calendar(radicale_server) -> str:
    return make_calendar(radicale_server.url)


@pytest.fixture
def provider(radicale_server, calendar):
    made = make_provider(radicale_server.url, calendar)
    yield made
    made.close()


@pytest.fixture
def person(radicale_server, calendar) -> Person:
    someone = Person(radicale_server.url, calendar)
    yield someone
    someone.client.close()


@pytest.fixture
def proxy(radicale_server):
    proxy = FaultProxy(radicale_server.url).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxied(radicale_server, calendar, proxy):
    """The provider through the fault proxy; its calendar id is the proxy's URL of the calendar."""
    made = make_provider(radicale_server.url, calendar, via=proxy.url)
    yield made
    made.close()


def local(y, m, d, h=9, mi=0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=CHICAGO)


# ------------------------------------------------------------------------------------------------- sync tokens


def test_nothing_changed_is_one_report_and_a_person_s_edit_and_delete_come_back(radicale_server, calendar, proxied,
                                                                                 proxy, person):
    ours = proxied.create_event(proxied.settings.calendar_url, draft(start=local(2027, 3, 2, 10)))
    theirs = person.add("Lunch with the accountant", local(2027, 3, 3, 12), local(2027, 3, 3, 13))
    full = proxied.list_changes(proxied.settings.calendar_url, None, *WINDOW)
    assert full.full and full.cursor.startswith("sync:")
    assert {e.remote_id for e in full.events} == {ours.remote_id, theirs}

    proxy.requests.clear()
    quiet = proxied.list_changes(proxied.settings.calendar_url, full.cursor, *WINDOW)
    assert (quiet.events, quiet.deleted_ids, quiet.full) == ([], [], False)
    assert [method for method, _ in proxy.requests] == ["REPORT"]

    person.edit(ours.remote_id, title="Moved by the owner", start=local(2027, 3, 2, 14), end=local(2027, 3, 2, 15))
    person.delete(theirs)
    changed = proxied.list_changes(proxied.settings.calendar_url, quiet.cursor, *WINDOW)
    [edited] = changed.events
    assert (edited.remote_id, edited.title, edited.start) == (ours.remote_id, "Moved by the owner",
                                                             local(2027, 3, 2, 14).astimezone(UTC))
    assert edited.uid == draft().uid  # a person's app keeps our X-RECEPTIONIST-UID
    assert changed.deleted_ids == [theirs]


def test_a_series_across_the_spring_change_with_a_moved_and_a_cancelled_occurrence(provider, person):
    # Thursdays 08:30 Chicago from 02/25/2027, 6 times, across 03/14/2027 (spring forward)
    href = person.add("Team huddle", local(2027, 2, 25, 8, 30), local(2027, 2, 25, 9),
                      rrule={"freq": "weekly", "count": 6})
    full = provider.list_changes(provider.settings.calendar_url, None, *WINDOW)
    series = sorted(full.events, key=lambda e: e.start)
    assert [e.start.astimezone(CHICAGO).hour for e in series] == [8] * 6
    assert [e.start.hour for e in series] == [14, 14, 14, 13, 13, 13]  # CST then CDT, in UTC
    moved, cancelled = series[2], series[3]  # 03/11 (CST) moved to Friday; 03/18 (CDT) cancelled
    person.edit(moved.remote_id, title="Huddle (Friday)", start=local(2027, 3, 12, 8, 30), end=local(2027, 3, 12, 9))
    person.delete(cancelled.remote_id)

    changes = provider.list_changes(provider.settings.calendar_url, full.cursor, *WINDOW)
    current = {e.remote_id: e for e in changes.events if not e.cancelled}
    assert current[moved.remote_id].start == local(2027, 3, 12, 8, 30).astimezone(UTC)
    assert cancelled.remote_id not in current
    assert cancelled.remote_id in set(changes.deleted_ids) | {e.remote_id for e in changes.events if e.cancelled}
    assert provider.get_event(provider.settings.calendar_url, moved.remote_id).title == "Huddle (Friday)"
    assert provider.get_event(provider.settings.calendar_url, cancelled.remote_id) is None

    person.delete(href)  # the whole series: every occurrence we reported is gone
    gone = provider.list_changes(provider.settings.calendar_url, changes.cursor, *WINDOW)
    assert {e.remote_id for e in series} <= set(gone.deleted_ids)


def test_busy_time_honours_transparent_and_all_day_events(provider, person):
    person.add("Out of office", local(2027, 3, 8, 0), local(2027, 3, 10, 0), all_day=True)
    person.add("Optional webinar", local(2027, 3, 9, 11), local(2027, 3, 9, 12), busy=False)
    events = {e.title: e for e in provider.list_events(provider.settings.calendar_url, *WINDOW)}
    away = events["Out of office"]
    assert away.all_day and away.busy
    assert (away.start, away.end) == (local(2027, 3, 8, 0).astimezone(UTC), local(2027, 3, 10, 0).astimezone(UTC))
    assert events["Optional webinar"].busy is False


# ------------------------------------------------------------------------------------------------- quirks


def test_a_server_without_sync_collection_is_read_by_ctag(proxied, proxy, person):
    proxy.without_sync_collection = True
    full = proxied.list_changes(proxied.settings.calendar_url, None, *WINDOW)
    assert full.cursor.startswith("ctag:")
    proxy.requests.clear()
    same = proxied.list_changes(proxied.settings.calendar_url, full.cursor, *WINDOW)
    assert (same.events, same.full, proxy.requests) == ([], False, [("PROPFIND", proxy.requests[0][1])])
    person.add("Walk-in", local(2027, 3, 4, 15), local(2027, 3, 4, 16))
    changed = proxied.list_changes(proxied.settings.calendar_url, same.cursor, *WINDOW)
    assert changed.full and [e.title for e in changed.events] == ["Walk-in"]


def test_a_token_without_sync_collection_falls_back_to_the_ctag(proxied, proxy, person):
    full = proxied.list_changes(proxied.settings.calendar_url, None, *WINDOW)
    proxy.without_sync_collection = True
    person.add("Walk-in", local(2027, 3, 4, 15), local(2027, 3, 4, 16))
    again = proxied.list_changes(proxied.settings.calendar_url, full.cursor, *WINDOW)
    assert again.full and again.cursor.startswith("ctag:") and [e.title for e in again.events] == ["Walk-in"]


def test_a_server_that_renames_what_we_put_keeps_one_event(proxied, proxy):
    proxy.rewrite_hrefs = True
    made = proxied.create_event(proxied.settings.calendar_url, draft())
    assert made.remote_id.rsplit("/", 1)[1].startswith("srv-") and made.uid == draft().uid
    again = proxied.create_event(proxied.settings.calendar_url, draft())  # a retry: 412 on the server's own name
    assert again.remote_id == made.remote_id
    found = proxied.find_created(proxied.settings.calendar_url, draft().uid, draft().idempotency_key)
    assert found.remote_id == made.remote_id
    assert [e.remote_id for e in proxied.list_events(proxied.settings.calendar_url, *_around(made))] == [made.remote_id]


def test_a_uid_held_by_a_trash_bin_is_recreated_under_a_new_uid(radicale_server, calendar, provider):
    # Nextcloud keeps a deleted event's UID in its trash bin; here another resource holds it, which Radicale
    # refuses the same way (CALDAV:no-uid-conflict)
    body = draft_ics(draft().uid)  # the UID we would use, held by another appointment's old event
    with DAVClient(radicale_server.url, username=USER, password=PASSWORD) as client:
        client.request(calendar + "trash-bin-copy.ics", "PUT", body, {"Content-Type": "text/calendar"})
    made = provider.create_event(calendar, draft())
    assert made.remote_id.endswith(f"{draft().uid}r1.ics") and made.uid == draft().uid
    assert provider.create_event(calendar, draft()).remote_id == made.remote_id  # and a retry is still one event
    assert provider.find_created(calendar, draft().uid, draft().idempotency_key).remote_id == made.remote_id


def draft_ics(uid: str) -> str:
    from receptionist.providers.caldav_calendar import draft_calendar

    return draft_calendar(draft("d" * 32, title="in the trash"), uid).to_ical().decode()


def _around(event):
    return event.start - timedelta(days=1), event.end + timedelta(days=1)


# ------------------------------------------------------------------------------------------------- faults


def test_a_create_whose_answer_was_lost_is_one_event_on_retry(proxied, proxy):
    proxy.faults.add(Fault(drop_after_store=True), method="PUT", times=1)
    with pytest.raises(Unreachable):
        proxied.create_event(proxied.settings.calendar_url, draft())
    made = proxied.create_event(proxied.settings.calendar_url, draft())  # If-None-Match: * → 412 → read: ours
    assert made.uid == draft().uid
    assert [e.remote_id for e in proxied.list_events(proxied.settings.calendar_url, *_around(made))] == [made.remote_id]


def test_retry_after_5xx_and_a_stale_etag(proxied, proxy, person):
    proxy.faults.add(Fault(status=503, retry_after=90), method="PUT")
    with pytest.raises(TransientError) as unavailable:
        proxied.create_event(proxied.settings.calendar_url, draft())
    assert (unavailable.value.status, unavailable.value.retry_after) == (503, 90)
    proxy.faults.add(Fault(status=429, retry_after=30), method="REPORT")
    with pytest.raises(RateLimited) as limited:
        proxied.list_events(proxied.settings.calendar_url, *WINDOW)
    assert limited.value.retry_after == 30
    proxy.faults.add(Fault(status=500), method="GET")
    with pytest.raises(TransientError):
        proxied.get_event(proxied.settings.calendar_url, "/desk/x.ics")

    made = proxied.create_event(proxied.settings.calendar_url, draft())
    person.edit(made.remote_id, title="A person's title", start=made.start, end=made.end)
    with pytest.raises(ConflictError):  # 412 on If-Match: the engine reads and compares
        proxied.update_event(proxied.settings.calendar_url, made.remote_id, draft(title="ours"), made.etag)
    with pytest.raises(ConflictError):
        proxied.delete_event(proxied.settings.calendar_url, made.remote_id, made.etag)
    assert proxied.get_event(proxied.settings.calendar_url, made.remote_id).title == "A person's title"
    proxied.delete_event(proxied.settings.calendar_url, made.remote_id, None)
    with pytest.raises(NotFound):  # deleted since it was made: not made again
        proxied.create_event(proxied.settings.calendar_url, draft())


def test_an_update_keeps_what_a_person_added(provider, calendar, radicale_server):
    made = provider.create_event(calendar, draft())
    with DAVClient(radicale_server.url, username=USER, password=PASSWORD) as client:
        url = client.url.join(made.remote_id)
        text = client.request(str(url), "GET").raw.replace(
            "END:VEVENT", "BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:Reminder\nTRIGGER:-PT15M\nEND:VALARM\nEND:VEVENT")
        client.request(str(url), "PUT", text, {"Content-Type": "text/calendar"})
        current = provider.get_event(calendar, made.remote_id)
        provider.update_event(calendar, made.remote_id, draft(title="Rescheduled"), current.etag)
        after = client.request(str(url), "GET").raw
    assert "SUMMARY:Rescheduled" in after and "TRIGGER:-PT15M" in after


# ------------------------------------------------------------------------------------------------- sign-in


def test_a_bare_domain_is_looked_up_through_well_known():
    from tests.providers.test_caldav_srv import FakeResolver

    assert candidate_urls("caldav.fastmail.com", FakeResolver({})) == [
        "https://caldav.fastmail.com/.well-known/caldav", "https://caldav.fastmail.com/"]
    assert candidate_urls("https://cloud.example.com/remote.php/dav") == ["https://cloud.example.com/remote.php/dav"]
    with pytest.raises(UserError, match="not a server address"):
        candidate_urls("ftp://example.com")


def test_sign_in_discovers_the_server_and_picks_the_calendar(radicale_server):
    secrets = memory_secret_store("caldav-sign-in")
    user = "owner-" + uuid.uuid4().hex[:8]
    work = make_calendar(radicale_server.url, "Work", user=user)
    make_calendar(radicale_server.url, "Family", user=user)
    root = radicale_server.url.rstrip("/")  # no path: looked up through /.well-known/caldav
    settings = settings_for("", "")
    account = discover(settings, root, user, PASSWORD)
    assert account.url == radicale_server.url and {c.name for c in account.calendars} == {"Work", "Family"}
    with pytest.raises(UserError, match="2 calendars; say which one to use .*'Work'"):
        connect_caldav(settings, secrets, url=root, username=user, password=PASSWORD)
    with pytest.raises(UserError, match="no calendar 'Holidays' on this account; its calendars are: "):
        connect_caldav(settings, secrets, url=root, username=user, password=PASSWORD, calendar="Holidays")
    assert secrets.get(PASSWORD_KEY) is None  # nothing kept until a calendar is picked
    section, chosen = connect_caldav(settings, secrets, url=root, username=user, password=PASSWORD,
                                     calendar="work")
    assert (section.enabled, section.calendar_url, section.calendar_name, chosen.id) == (True, work, "Work", work)
    assert secrets.get(PASSWORD_KEY) == PASSWORD


def test_connect_caldav_reads_the_password_from_stdin_and_writes_the_profile(radicale_server, calendar, tmp_path,
                                                                             monkeypatch, capsys):
    from receptionist.cli import main
    from receptionist.config import Profile

    profile_path = tmp_path / "profile.toml"
    from receptionist.config import write_profile

    write_profile(Profile(), profile_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    args = ["connect", "caldav", "--profile", str(profile_path), "--url", radicale_server.url, "--username", USER]
    assert main([*args, "--list", "--json"]) == 0
    names = {c["url"] for c in json.loads(capsys.readouterr().out)["calendars"]}
    assert calendar in names
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main([*args, "--calendar", calendar, "--json"]) == 0
    said = json.loads(capsys.readouterr().out)
    saved = Profile.load(profile_path)
    assert (saved.caldav.enabled, saved.caldav.calendar_url, said["calendar_url"]) == (True, calendar, calendar)
    assert PASSWORD not in profile_path.read_text()


# ------------------------------------------------------------------------------------------------- the data


@settings(max_examples=60)
@given(title=st.text(min_size=1, max_size=60).filter(lambda t: t.strip() == t and "\r" not in t),
       description=st.text(max_size=120).filter(lambda t: t.strip() == t and "\r" not in t),
       location=st.text(max_size=40).filter(lambda t: t.strip() == t and "\r" not in t),
       zone=st.sampled_from(["America/Chicago", "America/New_York", "Europe/Dublin", "UTC", "Asia/Kolkata"]),
       minutes=st.integers(min_value=5, max_value=480),
       start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)))
def test_what_we_write_reads_back_the_same_whatever_the_text_and_zone(title, description, location, zone, minutes,
                                                                      start):
    """Escaping (commas, semicolons, backslashes, new lines, non-ASCII) and local times across DST: what the
    provider writes is what it reads."""
    from receptionist.providers.caldav_calendar import _Parser, draft_calendar

    moment = start.replace(tzinfo=UTC, second=0, microsecond=0)
    sent = draft(start=moment, minutes=minutes, title=title, description=description, location=location,
                 time_zone=zone)
    text = draft_calendar(sent, sent.uid).to_ical().decode()
    [back] = _Parser(ZoneInfo("America/Chicago")).resource("/desk/cal/x.ics", '"1"', text)
    assert (back.title, back.description, back.location) == (title, description, location)
    assert (back.start, back.end, back.uid, back.busy, back.all_day) == (sent.start, sent.end, sent.uid, True, False)
