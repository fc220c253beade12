"""The runbook: what to do in each failure state the health view, the alerts and ``doctor`` name. One entry per
state; ``docs/RUNBOOK.md`` is these entries as a page (``tests/domain/test_runbook.py`` keeps them the same)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    state: str
    title: str
    steps: tuple[str, ...]

    def text(self) -> str:
        return self.title + "\n" + "\n".join(f"{i}. {step}" for i, step in enumerate(self.steps, 1))


ENTRIES = (
    Entry("reconnect", "A calendar's sign-in was refused or is missing", (
        "Press Reconnect… on the calendar's pill (or run `receptionist connect google|outlook|caldav`).",
        "Sign in with the account that owns the calendar; the waiting appointments are written at once.",
        "If the sign-in keeps expiring after 7 days, the Google sign-in app is in Testing status: publish it in "
        "Google Cloud Console (OAuth consent screen → Publish app).")),
    Entry("token-expiring", "A calendar's sign-in ends soon", (
        "Google ends the sign-ins of an app in Testing status 7 days after they were made.",
        "Reconnect the calendar before the time shown (Reconnect… on its pill), or publish the sign-in app in "
        "Google Cloud Console so its sign-ins stop expiring; then set health.google_testing_mode = false.")),
    Entry("budget-fast", "Writes to a calendar are failing fast", (
        "Open the Sync tab: the failed appointments say why, in a sentence.",
        "If the calendar's service is down (its status page), nothing needs doing: writes retry and land when it "
        "is back.",
        "If every write fails with the same sentence (a deleted calendar, a permission removed), fix that, then "
        "press Retry all failed.")),
    Entry("budget-slow", "Writes to a calendar are landing late or failing now and then", (
        "Open the Sync tab and look for appointments waiting or failed on that calendar.",
        "Repeated 'rate limit' sentences: another program is using the same account heavily; 'network': check "
        "this computer's connection.",
        "Watch the write success over 24 hours in the Health tab; it should climb back above the objective.")),
    Entry("error", "The last request to a connection failed", (
        "Read the sentence on the pill or in the Health tab; the detail is in the log (Help → Open log folder).",
        "Requests retry by themselves; press F5 to try at once.")),
    Entry("held", "Many events vanished from a calendar at once", (
        "Look at the calendar: were they deleted on purpose (a cleared calendar) or by mistake (a wrong sync "
        "program)?",
        "Answer the alert in the window: re-create them, or accept the deletions (cancels those appointments).")),
    Entry("offline", "A calendar cannot be reached", (
        "Check this computer's network (open any web page).",
        "A proxy or firewall may block the calendar's address; the log names the address that failed.")),
    Entry("drift", "Appointments differ between the desk and a calendar", (
        "Open the Sync tab's Drift/Conflict rows: each says what differs.",
        "Keep ours writes the desk's version again; Take theirs takes the calendar's change into the desk.")),
    Entry("audit-mismatch", "The daily sample audit read back events that differ", (
        "The differing appointments are now Drift in the Sync tab: decide each with Keep ours or Take theirs.",
        "Several at once means something else edits the calendar (another sync program, a shared account): find "
        "it before deciding.")),
    Entry("silent", "An AI platform has stopped delivering calls", (
        "Call the business number yourself: does the AI agent answer?",
        "If it answers but no call appears here, check the platform's dashboard: the webhook address and secret "
        "(Settings → AI agent shows both), and its delivery log for errors.",
        "If it does not answer, the problem is the phone number or the platform: contact its support.")),
    Entry("quarantine", "Deliveries are waiting in quarantine", (
        "Open the Quarantine tab: each delivery says why it could not become a call.",
        "Fix the cause (a missing API key, a changed platform format), then Replay it; Discard what is not a "
        "call.")),
    Entry("sms-error", "Texts cannot be sent through Twilio", (
        "Read the sentence in the Health tab; the detail is in the log.",
        "Check the Twilio account (balance, the sending number) and the auth token under Settings → Texts.")),
    Entry("webhook-error", "Calls cannot arrive at this desk", (
        "Read the Webhook pill's sentence: a missing signing secret, or a port taken by another program.",
        "Enter the secret under Settings → AI agent, or close the other program (another console?) and restart.")),
    Entry("sms-failing", "Texts are failing faster than their error budget allows", (
        "Open the Health tab's Twilio row: it counts the texts sent and failed over 24 hours and 7 days.",
        "Many 'undelivered' at once: the carriers are filtering the sending number (register it for A2P 10DLC in "
        "the Twilio console) or the callers' numbers are landlines.",
        "Many refused sends: check the Twilio balance and the sending number under Settings → Texts; a text that "
        "failed is not resent by itself, so call those callers.")),
    Entry("webhook-spike", "Many deliveries are being refused or quarantined", (
        "Open the Health tab's Webhook row: it counts the deliveries accepted, refused and quarantined in the "
        "last hour; the log names each refusal's reason.",
        "Refused for their signature: the signing secret changed on the platform or here (Settings → AI agent); "
        "make them the same.",
        "Quarantined: open the Quarantine tab, fix the cause (a changed platform format, a missing API key), then "
        "Replay them.")),
    Entry("on-call-stale", "The on-call calendar has not been read recently", (
        "Until it is read again the AI agent names the person the calendar last said, and adds that the desk "
        "should confirm: check the calendar yourself if an urgent caller is waiting.",
        "Read the sentence in the Health tab's On-call calendar row (the log has the detail): a sign-in refused means "
        "Reconnect… on that account's pill; 'not found' means availability.on_call_calendar names a calendar this "
        "account cannot see (share it with the account, or correct the id in Settings).",
        "`receptionist on-call --refresh` reads it at once and says what went wrong; only the sync leader refreshes "
        "it by itself (every availability.on_call_refresh_minutes).")),
    Entry("on-call-event", "An on-call event names nobody, or a person without a phone", (
        "Read the Health tab's On-call calendar row: it names each event and what is missing.",
        "Title each on-call event with the person (e.g. 'On call: Dr. Bo Chen'), and write their phone in the "
        "event's description, or give the person a phone in Settings → People; the next refresh takes it.")),
)

BY_STATE = {e.state: e for e in ENTRIES}


def entry(state: str) -> Entry | None:
    return BY_STATE.get(state)

