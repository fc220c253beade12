"""RFC 6764 DNS discovery of a CalDAV server from a bare domain: ``_caldavs._tcp`` SRV records (priority, then
weight), the TXT record's ``path=``, ``.`` as "no service here", and DNS failures leaving the SRV candidates out.
The resolver is a fake with dnspython's ``resolve`` that answers real dnspython records."""

from __future__ import annotations

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.resolver

from receptionist.providers.caldav_signin import candidate_urls, srv_urls


class FakeResolver:
    """``resolve(name, rdtype, lifetime)`` from a table {(name, rdtype): [record text]}; a missing name is
    NXDOMAIN, as a real resolver raises it; ``"timeout"`` raises dnspython's timeout."""

    def __init__(self, table: dict):
        self.table = table
        self.asked: list[tuple[str, str, float]] = []

    def resolve(self, name: str, rdtype: str, lifetime: float | None = None):
        self.asked.append((name, rdtype, lifetime))
        answer = self.table.get((name, rdtype))
        if answer == "timeout":
            raise dns.resolver.LifetimeTimeout(timeout=lifetime or 0, errors=[])
        if answer is None:
            raise dns.resolver.NXDOMAIN(qnames=[dns.name.from_text(name)])
        return [dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), text) for text in answer]


NAME = "_caldavs._tcp.example.com."


def test_srv_records_are_tried_by_priority_then_weight_with_the_txt_path():
    resolver = FakeResolver({
        (NAME, "SRV"): ["20 0 443 backup.example.com.", "10 5 8443 caldav2.example.com.",
                        "10 60 443 caldav.example.com."],
        (NAME, "TXT"): ['"path=/dav/principals/"'],
    })
    assert srv_urls("example.com", resolver) == ["https://caldav.example.com/dav/principals/",
                                                 "https://caldav2.example.com:8443/dav/principals/",
                                                 "https://backup.example.com/dav/principals/"]
    assert all(lifetime == 3.0 for _, _, lifetime in resolver.asked)


def test_without_a_txt_record_the_targets_well_known_address_is_used():
    resolver = FakeResolver({(NAME, "SRV"): ["0 0 443 dav.fastmail.example."]})
    assert srv_urls("example.com", resolver) == ["https://dav.fastmail.example/.well-known/caldav"]


def test_a_dot_target_says_there_is_no_caldav_here():
    resolver = FakeResolver({(NAME, "SRV"): ["0 0 0 ."]})
    assert srv_urls("example.com", resolver) == []


def test_dns_failures_leave_only_the_domains_own_addresses():
    for table in ({}, {(NAME, "SRV"): "timeout"}):
        assert candidate_urls("example.com", FakeResolver(table)) == ["https://example.com/.well-known/caldav",
                                                                      "https://example.com/"]


def test_srv_candidates_come_before_the_domains_well_known_address():
    resolver = FakeResolver({(NAME, "SRV"): ["0 0 443 caldav.example.com."],
                             (NAME, "TXT"): ['"path=/remote.php/dav"']})
    assert candidate_urls("example.com", resolver) == ["https://caldav.example.com/remote.php/dav",
                                                       "https://example.com/.well-known/caldav",
                                                       "https://example.com/"]


def test_an_address_or_a_url_with_a_path_asks_no_dns():
    resolver = FakeResolver({})
    candidate_urls("https://127.0.0.1/", resolver)
    candidate_urls("caldav.example.com:8443", resolver)
    candidate_urls("https://cloud.example.com/remote.php/dav", resolver)
    assert resolver.asked == []
