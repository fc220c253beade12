"""One contract for every ``CalendarProvider``: the in-memory fake, Google and Outlook on their stand-ins, CalDAV on
a real Radicale.

Each implementation comes with a small *harness* that does on the calendar what a person would (add an event or a
weekly series, edit, delete) through that calendar's own means (the stand-ins' test API, the fake's ``human_*``),
so the tests below say once what the sync engine may rely on, and every implementation is held to it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist.domain.ports import CalendarProvider, EventDraft, RemoteEvent, change_pages, collect_changes
from receptionist.errors import ConflictError, CursorExpired, NotFound
from receptionist_sandbox.google import DEFAULT_ACCOUNT
from receptionist_sandbox.microsoft import text_to_html
from tests.helpers.fakes import FakeCalendar

UTC = timezone.utc
CHICAGO = ZoneInfo("America/Chicago")
WINDOW = (datetime(2026, 10, 19, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
# The weekly series: Tuesdays 10:00 Chicago from 10/20/2026, ten times, across the 11/01/2026 fall-back.
SERIES_START = datetime(2026, 10, 20, 10, 0, tzinfo=CHICAGO)
SERIES_COUNT = 10
T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 09:00 Chicago


def draft(uid: str = "c0ffee" + "0" * 25 + "1", *, start: datetime = T0, minutes: int = 30, **fields) -> EventDraft:
    values = dict(title="Cleaning - Pat Doe", description="Booked by phone.\nPrefers mornings.",
                  location="Room 2", time_zone="America/Chicago")
    values.update(fields)
    return EventDraft(uid=uid, start=start, end=start + timedelta(minutes=minutes), **values)


def wall(moment: datetime, zone: ZoneInfo = CHICAGO) -> str:
    return moment.astimezone(zone).replace(tzinfo=None).isoformat()


class FakeHarness:
    calendar_id = "primary"
    missing_id = "ev-" + "f" * 32

    def __init__(self):
        self.provider = FakeCalendar()

    def add_external(self, title, start, end, *, busy=True, description=""):
        self.provider.add_external(f"ext-{len(self.provider.events)}", title, start, end, busy=busy)
        remote_id = f"ext-{len(self.provider.events) - 1}"
        self.provider.human_edit(remote_id, description=description)

    def add_series(self, title):
        self.provider.add_series("series1", title, SERIES_START, SERIES_START + timedelta(minutes=30), SERIES_COUNT,
                                 time_zone="America/Chicago")

    def human_edit(self, remote_id, *, title, start, end):
        self.provider.human_edit(remote_id, title=title, start=start, end=end)

    def human_delete(self, remote_id):
        self.provider.human_delete(remote_id)

    def expire_cursors(self):
        self.provider.expire_cursors()


class GoogleHarness:
    calendar_id = "primary"
    missing_id = "f" * 32

    def __init__(self, sandbox, provider):
        self.sandbox, self.provider = sandbox, provider

    def _when(self, moment):
        return {"dateTime": wall(moment), "timeZone": "America/Chicago"}

    def add_external(self, title, start, end, *, busy=True, description=""):
        self.sandbox.seed_event(DEFAULT_ACCOUNT, "primary", {
            "summary": title, "description": description, "start": self._when(start), "end": self._when(end),
            "transparency": "opaque" if busy else "transparent"})

    def add_series(self, title):
        self.sandbox.seed_event(DEFAULT_ACCOUNT, "primary", {
            "summary": title, "start": self._when(SERIES_START),
            "end": self._when(SERIES_START + timedelta(minutes=30)),
            "recurrence": [f"RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT={SERIES_COUNT}"]})

    def human_edit(self, remote_id, *, title, start, end):
        self.sandbox.edit_event(DEFAULT_ACCOUNT, "primary", remote_id,
                                {"summary": title, "start": self._when(start), "end": self._when(end)})

    def human_delete(self, remote_id):
        self.sandbox.remove_event(DEFAULT_ACCOUNT, "primary", remote_id)

    def expire_cursors(self):
        self.sandbox.invalidate_sync_tokens()


class OutlookHarness:
    calendar_id = ""  # the account's default calendar
    missing_id = "AAMkAD" + "x" * 40 + "AAA="

    def __init__(self, sandbox, provider):
        self.sandbox, self.provider = sandbox, provider

    @staticmethod
    def _when(moment):
        return {"dateTime": wall(moment), "timeZone": "Central Standard Time"}

    def add_external(self, title, start, end, *, busy=True, description=""):
        # people's Outlook events have HTML bodies
        self.sandbox.seed_event(None, {
            "subject": title, "body": {"contentType": "html", "content": text_to_html(description)},
            "start": self._when(start), "end": self._when(end), "showAs": "busy" if busy else "free"})

    def add_series(self, title):
        self.sandbox.seed_event(None, {
            "subject": title, "start": self._when(SERIES_START),
            "end": self._when(SERIES_START + timedelta(minutes=30)),
            "recurrence": {"pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["tuesday"]},
                           "range": {"type": "numbered", "startDate": SERIES_START.date().isoformat(),
                                     "numberOfOccurrences": SERIES_COUNT}}})

    def human_edit(self, remote_id, *, title, start, end):
        self.sandbox.edit_event(None, remote_id, {"subject": title, "start": self._when(start),
                                                  "end": self._when(end)})

    def human_delete(self, remote_id):
        self.sandbox.remove_event(None, remote_id)

    def expire_cursors(self):
        self.sandbox.invalidate_delta_tokens()


class CalDavHarness:
    """Radicale, a real CalDAV server; the person edits from a second client (the ``caldav`` library)."""

    missing_id = "/desk/none/" + "f" * 32 + ".ics"

    def __init__(self, server):
        from tests.helpers.caldav import Person, make_calendar, make_provider

        self.server = server
        self.calendar_id = make_calendar(server.url)
        self.provider = make_provider(server.url, self.calendar_id)
        self.person = Person(server.url, self.calendar_id)

    def add_external(self, title, start, end, *, busy=True, description=""):
        self.person.add(title, start.astimezone(CHICAGO), end.astimezone(CHICAGO), busy=busy,
                        description=description)

    def add_series(self, title):
        self.person.add(title, SERIES_START, SERIES_START + timedelta(minutes=30),
                        rrule={"freq": "weekly", "byday": "TU", "count": SERIES_COUNT})

    def human_edit(self, remote_id, *, title, start, end):
        self.person.edit(remote_id, title=title, start=start, end=end)

    def human_delete(self, remote_id):
        self.person.delete(remote_id)

    def close(self):
        self.provider.close()
        self.person.client.close()

    def expire_cursors(self):
        # Radicale answers an unchanged collection's token without looking it up: a change after the token, far
        # outside the window, and the tokens forgotten, is a token too old for the server
        self.person.add("Far away", datetime(2031, 1, 6, 9, tzinfo=CHICAGO), datetime(2031, 1, 6, 10, tzinfo=CHICAGO))
        self.server.forget_sync_tokens(self.calendar_id.split("/", 3)[3])


@pytest.fixture(params=["fake", "google", "outlook", "caldav"])
def cal(request):
    if request.param == "fake":
        return FakeHarness()
    if request.param == "caldav":
        harness = CalDavHarness(request.getfixturevalue("radicale_server"))
        request.addfinalizer(harness.close)
        return harness
    if request.param == "google":
        return GoogleHarness(request.getfixturevalue("google_sandbox"),
                             request.getfixturevalue("make_google_provider")())
    return OutlookHarness(request.getfixturevalue("microsoft_sandbox"), request.getfixturevalue("outlook"))


def live(events: list[RemoteEvent]) -> list[RemoteEvent]:
    return [e for e in events if not e.cancelled]


def by_start(events: list[RemoteEvent]) -> list[RemoteEvent]:
    return sorted(events, key=lambda e: (e.start, e.title))


# ------------------------------------------------------------------------------------------------- the contract


def test_every_implementation_is_a_calendar_provider(cal):
    assert isinstance(cal.provider, CalendarProvider)


def test_create_is_idempotent_per_uid(cal):
    first = cal.provider.create_event(cal.calendar_id, draft())
    again = cal.provider.create_event(cal.calendar_id, draft())
    assert again.remote_id == first.remote_id
    listed = [e for e in cal.provider.list_events(cal.calendar_id, *WINDOW) if e.title == draft().title]
    assert [e.remote_id for e in listed] == [first.remote_id]
    assert first.uid == draft().uid


def test_a_replayed_create_returns_the_event_as_it_is_now_and_not_found_once_deleted(cal):
    first = cal.provider.create_event(cal.calendar_id, draft())
    cal.provider.update_event(cal.calendar_id, first.remote_id, draft(title="Changed there"), first.etag)
    again = cal.provider.create_event(cal.calendar_id, draft())
    assert (again.remote_id, again.title) == (first.remote_id, "Changed there")
    cal.provider.delete_event(cal.calendar_id, first.remote_id, None)
    with pytest.raises(NotFound):
        cal.provider.create_event(cal.calendar_id, draft())


def test_the_event_a_create_made_is_found_by_its_key(cal):
    made = draft()
    assert cal.provider.find_created(cal.calendar_id, made.uid, made.idempotency_key) is None
    created = cal.provider.create_event(cal.calendar_id, made)
    found = cal.provider.find_created(cal.calendar_id, made.uid, made.idempotency_key)
    assert found is not None and found.remote_id == created.remote_id
    cal.provider.delete_event(cal.calendar_id, created.remote_id, None)
    assert cal.provider.find_created(cal.calendar_id, made.uid, made.idempotency_key) is None


def test_get_of_a_missing_event_is_none(cal):
    assert cal.provider.get_event(cal.calendar_id, cal.missing_id) is None


def test_several_events_are_read_back_in_the_order_asked_as_each_alone(cal):
    made = [cal.provider.create_event(cal.calendar_id, draft(f"c0ffee{n:026d}", start=T0 + timedelta(hours=n),
                                                              title=f"Visit {n}")) for n in range(3)]
    gone = cal.provider.create_event(cal.calendar_id, draft("c0ffee" + "9" * 26, title="Deleted"))
    cal.human_delete(gone.remote_id)
    asked = [made[2].remote_id, cal.missing_id, made[0].remote_id, gone.remote_id, made[1].remote_id]

    got = cal.provider.get_events(cal.calendar_id, asked)

    assert got == [cal.provider.get_event(cal.calendar_id, remote_id) for remote_id in asked]
    assert [e.title if e else None for e in got] == ["Visit 2", None, "Visit 0", None, "Visit 1"]
    assert cal.provider.get_events(cal.calendar_id, []) == []


def test_update_with_the_current_etag(cal):
    created = cal.provider.create_event(cal.calendar_id, draft())
    moved = draft(start=T0 + timedelta(hours=2), title="Cleaning - Pat Doe (moved)")
    updated = cal.provider.update_event(cal.calendar_id, created.remote_id, moved, created.etag)
    assert updated.etag != created.etag
    assert (updated.title, updated.start, updated.end) == (moved.title, moved.start, moved.end)
    read = cal.provider.get_event(cal.calendar_id, created.remote_id)
    assert (read.title, read.start, read.etag) == (moved.title, moved.start, updated.etag)


def test_a_stale_etag_is_a_conflict_for_update_and_delete(cal):
    created = cal.provider.create_event(cal.calendar_id, draft())
    cal.provider.update_event(cal.calendar_id, created.remote_id, draft(title="second"), created.etag)
    with pytest.raises(ConflictError):
        cal.provider.update_event(cal.calendar_id, created.remote_id, draft(title="third"), created.etag)
    with pytest.raises(ConflictError):
        cal.provider.delete_event(cal.calendar_id, created.remote_id, created.etag)
    assert cal.provider.get_event(cal.calendar_id, created.remote_id).title == "second"


def test_delete_of_a_missing_event_is_not_an_error(cal):
    created = cal.provider.create_event(cal.calendar_id, draft())
    cal.provider.delete_event(cal.calendar_id, created.remote_id, created.etag)
    assert cal.provider.get_event(cal.calendar_id, created.remote_id) is None
    cal.provider.delete_event(cal.calendar_id, created.remote_id, None)
    cal.provider.delete_event(cal.calendar_id, cal.missing_id, None)


def test_list_events_expands_a_series_with_an_exception_and_a_cancelled_occurrence(cal):
    cal.add_series("Weekly huddle")
    cal.add_external("Tennis", T0 + timedelta(days=5), T0 + timedelta(days=5, hours=1), busy=False)
    occurrences = by_start([e for e in cal.provider.list_events(cal.calendar_id, *WINDOW)
                            if e.title == "Weekly huddle"])
    assert len(occurrences) == SERIES_COUNT
    assert len({e.remote_id for e in occurrences}) == SERIES_COUNT
    # 10:00 Chicago throughout: 15:00Z before the 11/01 fall-back, 16:00Z after
    assert [e.start for e in occurrences[1:3]] == [datetime(2026, 10, 27, 15, tzinfo=UTC),
                                                   datetime(2026, 11, 3, 16, tzinfo=UTC)]
    assert all(e.start.astimezone(CHICAGO).hour == 10 and e.end - e.start == timedelta(minutes=30)
               for e in occurrences)

    moved, doomed = occurrences[3], occurrences[4]
    cal.human_edit(moved.remote_id, title="Huddle (moved)", start=moved.start + timedelta(days=1),
                   end=moved.end + timedelta(days=1))
    cal.human_delete(doomed.remote_id)
    events = cal.provider.list_events(cal.calendar_id, *WINDOW)
    series = by_start([e for e in events if e.title in ("Weekly huddle", "Huddle (moved)")])
    assert len(series) == SERIES_COUNT - 1 and doomed.remote_id not in {e.remote_id for e in series}
    exception = next(e for e in series if e.remote_id == moved.remote_id)
    assert (exception.title, exception.start) == ("Huddle (moved)", moved.start + timedelta(days=1))
    assert all(e.busy for e in series)
    tennis = [e for e in events if e.title == "Tennis"]
    assert len(tennis) == 1 and tennis[0].busy is False


def test_a_window_listed_again_shows_what_a_person_changed_in_between(cal):
    for hour in range(3):
        cal.add_external(f"Busy {hour}", T0 + timedelta(hours=hour), T0 + timedelta(hours=hour, minutes=30))
    first = {e.title: e for e in cal.provider.list_events(cal.calendar_id, *WINDOW)}
    cal.human_edit(first["Busy 1"].remote_id, title="Moved by a person", start=T0 + timedelta(hours=5),
                   end=T0 + timedelta(hours=5, minutes=45))
    cal.human_delete(first["Busy 2"].remote_id)

    again = {e.remote_id: e for e in cal.provider.list_events(cal.calendar_id, *WINDOW)}

    assert again[first["Busy 0"].remote_id] == first["Busy 0"]
    moved = again[first["Busy 1"].remote_id]
    assert (moved.title, moved.start, moved.end) == ("Moved by a person", T0 + timedelta(hours=5),
                                                     T0 + timedelta(hours=5, minutes=45))
    assert moved.etag != first["Busy 1"].etag and first["Busy 2"].remote_id not in again


def test_changes_full_then_incremental(cal):
    ours = cal.provider.create_event(cal.calendar_id, draft())
    full = cal.provider.list_changes(cal.calendar_id, None, *WINDOW)
    assert full.full and full.cursor
    assert ours.remote_id in {e.remote_id for e in live(full.events)}

    cal.human_edit(ours.remote_id, title="Changed by a person", start=T0 + timedelta(hours=1),
                   end=T0 + timedelta(hours=1, minutes=30))
    edited = cal.provider.list_changes(cal.calendar_id, full.cursor, *WINDOW)
    assert not edited.full and edited.cursor
    seen = next(e for e in edited.events if e.remote_id == ours.remote_id)
    assert (seen.title, seen.start, seen.cancelled) == ("Changed by a person", T0 + timedelta(hours=1), False)

    cal.human_delete(ours.remote_id)
    deleted = cal.provider.list_changes(cal.calendar_id, edited.cursor, *WINDOW)
    assert ours.remote_id in set(deleted.deleted_ids) | {e.remote_id for e in deleted.events if e.cancelled}


def test_the_same_read_in_pages_says_what_the_whole_batch_says(cal):
    """What the engine caches page by page (``change_pages``) is what ``list_changes`` answers at once."""
    if hasattr(cal.provider, "page_size"):
        cal.provider.page_size = 2  # several pages out of a handful of events
    for hour in range(5):
        cal.add_external(f"Busy {hour}", T0 + timedelta(hours=hour), T0 + timedelta(hours=hour, minutes=30))
    pages = list(change_pages(cal.provider, cal.calendar_id, None, *WINDOW))
    whole = cal.provider.list_changes(cal.calendar_id, None, *WINDOW)

    assert all(p.full for p in pages) and pages[-1].cursor and not any(p.cursor for p in pages[:-1])
    if hasattr(cal.provider, "read_changes"):
        assert len(pages) >= 3
    collected = collect_changes(pages)
    assert sorted((e.remote_id, e.title) for e in collected.events) == sorted(
        (e.remote_id, e.title) for e in whole.events)
    cal.human_delete(next(e.remote_id for e in whole.events if e.title == "Busy 0"))
    later = collect_changes(change_pages(cal.provider, cal.calendar_id, whole.cursor, *WINDOW))
    gone = set(later.deleted_ids) | {e.remote_id for e in later.events if e.cancelled}
    assert {e.title for e in whole.events if e.remote_id in gone} == {"Busy 0"} and later.cursor


def test_changes_carry_occurrences_of_a_series(cal):
    cal.add_series("Weekly huddle")
    full = cal.provider.list_changes(cal.calendar_id, None, *WINDOW)
    occurrences = by_start([e for e in live(full.events) if e.title == "Weekly huddle"])
    assert len(occurrences) == SERIES_COUNT
    cal.human_edit(occurrences[0].remote_id, title="First huddle", start=occurrences[0].start,
                   end=occurrences[0].end + timedelta(minutes=15))
    cal.human_delete(occurrences[1].remote_id)
    changes = cal.provider.list_changes(cal.calendar_id, full.cursor, *WINDOW)
    changed = {e.remote_id: e for e in changes.events}
    assert changed[occurrences[0].remote_id].title == "First huddle"
    assert changed[occurrences[0].remote_id].end == occurrences[0].end + timedelta(minutes=15)
    gone = set(changes.deleted_ids) | {e.remote_id for e in changes.events if e.cancelled}
    assert occurrences[1].remote_id in gone and occurrences[0].remote_id not in gone


def test_an_expired_cursor_raises_cursor_expired(cal):
    full = cal.provider.list_changes(cal.calendar_id, None, *WINDOW)
    cal.expire_cursors()
    with pytest.raises(CursorExpired):
        cal.provider.list_changes(cal.calendar_id, full.cursor, *WINDOW)


def test_times_are_utc_instants_whatever_zone_the_calendar_answers_in(cal):
    local = draft(start=datetime(2026, 11, 24, 9, 30, tzinfo=CHICAGO))
    created = cal.provider.create_event(cal.calendar_id, local)
    read = cal.provider.get_event(cal.calendar_id, created.remote_id)
    listed = next(e for e in cal.provider.list_events(cal.calendar_id, *WINDOW) if e.remote_id == created.remote_id)
    for event in (created, read, listed):
        assert (event.start, event.end) == (local.start, local.end)
        assert event.start.utcoffset() == timedelta(0) and event.end.utcoffset() == timedelta(0)


def test_descriptions_come_back_as_plain_text(cal):
    text = "Booked by phone.\nPrefers <mornings> & tea."
    created = cal.provider.create_event(cal.calendar_id, draft(description=text))
    assert cal.provider.get_event(cal.calendar_id, created.remote_id).description == text
    cal.add_external("Supplier visit", T0 + timedelta(days=1), T0 + timedelta(days=1, hours=1),
                     description="Bring the X-rays\nDoor code 4 & 5")
    visit = next(e for e in cal.provider.list_events(cal.calendar_id, *WINDOW) if e.title == "Supplier visit")
    assert visit.description == "Bring the X-rays\nDoor code 4 & 5"


# ------------------------------------------------------------------------------------------------- the fake alone


def test_the_fake_reports_an_emptied_calendar_as_deletions():
    fake = FakeCalendar()
    ours = fake.create_event("primary", draft())
    fake.add_external("ext-1", "Lunch", T0, T0 + timedelta(hours=1))
    full = fake.list_changes("primary", None, *WINDOW)
    fake.empty()
    assert fake.list_events("primary", *WINDOW) == []
    changes = fake.list_changes("primary", full.cursor, *WINDOW)
    assert {e.remote_id for e in changes.events if e.cancelled} == {ours.remote_id, "ext-1"}
    assert fake.get_event("primary", ours.remote_id) is None
