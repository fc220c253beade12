"""Office networks: the Microsoft and Twilio sessions go through the system proxy and trust the OS certificate
store (truststore), or the profile's CA bundle instead; ``REQUESTS_CA_BUNDLE`` never overrides that, and
loopback (the sandbox) never goes through a proxy.

Everything here is on loopback: a CA and a server certificate for ``calendar.office.test`` made at start-up, a
TLS server, and an HTTP CONNECT proxy that records what it was asked for and tunnels every request to that
server (so the name never has to resolve). On Linux "the OS store" is OpenSSL's default verify paths, which
``SSL_CERT_FILE``/``SSL_CERT_DIR`` point at; the tests use that to put their CA in or out of it.
"""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import select
import socket
import socketserver
import ssl
import sys
import threading

import pytest
import requests
import truststore
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from receptionist.config import OutlookSettings, TwilioSettings
from receptionist.providers.http import OfficeSession, office_session
from receptionist.providers.microsoft_auth import http_session
from receptionist.providers.twilio_messaging import TwilioMessenger

HOST = "calendar.office.test"

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="puts a CA in/out of the OS store via OpenSSL paths")


# ------------------------------------------------------------------------------------------------ fixtures
def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _root_ca(name: str, now: dt.datetime):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    now = dt.datetime.now(dt.timezone.utc)
    ca_key, ca = _root_ca("Office Test Root CA", now)
    _, other = _root_ca("Some Other Root CA", now)  # a store/bundle that does not hold the office CA
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(HOST)).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST), x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file = folder / "office-ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file = folder / "server.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    other_file = folder / "other-ca.pem"
    other_file.write_bytes(other.public_bytes(serialization.Encoding.PEM))
    empty_dir = folder / "empty-capath"
    empty_dir.mkdir()
    return {"ca": str(ca_file), "other": str(other_file), "server": str(cert_file), "empty_dir": str(empty_dir)}


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = f"hello {self.headers.get('Host')}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def tls_server(pki):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["server"])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


class _ConnectProxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), _ConnectHandler)


class _ConnectHandler(socketserver.BaseRequestHandler):
    def handle(self):
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        self.server.requests.append(line.rsplit(" ", 1)[0])  # "CONNECT host:port", without the HTTP version
        if not line.startswith("CONNECT "):
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        upstream = socket.create_connection(("127.0.0.1", self.server.target_port), timeout=10)
        self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        sockets = [self.request, upstream]
        try:
            for _ in range(10_000):  # bounded: a test exchange is a handful of reads
                readable, _, _ = select.select(sockets, [], [], 10)
                if not readable:
                    break
                for sock in readable:
                    try:
                        data = sock.recv(65536)
                    except ConnectionResetError:  # the client gave up on the tunnel: a test's normal end
                        return
                    if not data:
                        return
                    (upstream if sock is self.request else self.request).sendall(data)
        finally:
            upstream.close()


@pytest.fixture
def proxy(tls_server, monkeypatch):
    server = _ConnectProxy(tls_server)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", url)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def os_store(monkeypatch, pki):
    """Choose what the OS store (OpenSSL's default paths) holds: the test CA, or only the system's roots."""

    def choose(with_office_ca: bool) -> None:
        monkeypatch.setenv("SSL_CERT_FILE", pki["ca"] if with_office_ca else pki["other"])
        monkeypatch.setenv("SSL_CERT_DIR", pki["empty_dir"])

    return choose


# ------------------------------------------------------------------------------------------------ tests
def test_no_override_uses_os_store_and_system_proxy(proxy, os_store, pki, monkeypatch):
    os_store(with_office_ca=True)
    # An environment CA bundle that does not hold the office CA: it must not be what decides.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", pki["other"])
    monkeypatch.setenv("CURL_CA_BUNDLE", pki["other"])
    session = http_session(OutlookSettings())
    assert isinstance(session, OfficeSession) and session.trust_env and session.verify is True
    assert isinstance(session.get_adapter(f"https://{HOST}/").ssl_context, truststore.SSLContext)

    answer = session.get(f"https://{HOST}/me")

    assert answer.status_code == 200 and answer.text == f"hello {HOST}"
    assert proxy.requests == [f"CONNECT {HOST}:443"]


def test_no_override_refuses_a_ca_that_is_only_in_requests_ca_bundle(proxy, os_store, pki, monkeypatch):
    os_store(with_office_ca=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", pki["ca"])
    session = http_session(OutlookSettings())

    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        session.get(f"https://{HOST}/me")
    assert proxy.requests == [f"CONNECT {HOST}:443"]  # it did go through the proxy


def test_profile_ca_bundle_is_used_instead_of_the_os_store(proxy, os_store, pki, monkeypatch):
    os_store(with_office_ca=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", pki["other"])
    session = http_session(OutlookSettings(ca_bundle=pki["ca"]))
    assert session.verify == pki["ca"]

    answer = session.get(f"https://{HOST}/me")

    assert answer.status_code == 200
    assert proxy.requests == [f"CONNECT {HOST}:443"]


def test_profile_ca_bundle_refuses_what_only_the_os_store_trusts(proxy, os_store, pki):
    os_store(with_office_ca=True)
    session = office_session(ca_bundle=pki["other"])  # a bundle without the office CA

    with pytest.raises(requests.exceptions.SSLError):
        session.get(f"https://{HOST}/me")


def test_twilio_client_uses_the_same_trust_and_proxy(proxy, os_store, pki, monkeypatch):
    os_store(with_office_ca=True)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", pki["other"])
    settings = TwilioSettings(api_base=f"https://{HOST}", account_sid="AC" + "0" * 32, from_number="+15551234567")
    messenger = TwilioMessenger(settings, "token")
    http = messenger._http
    assert isinstance(http.session, OfficeSession) and http.session.verify is True

    answer = http.request("GET", f"https://{HOST}/2010-04-01/Accounts.json")

    assert answer.status_code == 200
    assert proxy.requests == [f"CONNECT {HOST}:443"]
    assert http.proxy == {}  # requests did not write the environment's proxies into twilio's own dict


def test_twilio_profile_ca_bundle(proxy, os_store, pki):
    os_store(with_office_ca=False)
    settings = TwilioSettings(api_base=f"https://{HOST}", account_sid="AC" + "0" * 32, from_number="+15551234567",
                              ca_bundle=pki["ca"])
    http = TwilioMessenger(settings, "token")._http

    assert http.request("GET", f"https://{HOST}/2010-04-01/Accounts.json").status_code == 200


def test_loopback_never_goes_through_the_proxy(proxy, os_store, pki, tls_server):
    os_store(with_office_ca=False)
    session = http_session(OutlookSettings(ca_bundle=pki["ca"]))

    answer = session.get(f"https://127.0.0.1:{tls_server}/me")

    assert answer.status_code == 200
    assert proxy.requests == []


def test_no_proxy_is_honoured(proxy, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "graph.office.test")
    session = http_session(OutlookSettings())

    bypass = session.merge_environment_settings("https://graph.office.test/v1.0/me", {}, None, None, None)
    proxied = session.merge_environment_settings(f"https://{HOST}/v1.0/me", {}, None, None, None)

    assert "https" not in bypass["proxies"]
    assert proxied["proxies"]["https"].startswith("http://127.0.0.1:")


def test_default_timeout_applies(tls_server, pki, os_store, monkeypatch):
    os_store(with_office_ca=False)
    session = http_session(OutlookSettings(ca_bundle=pki["ca"], timeout_seconds=3.5))
    seen = {}
    real_send = requests.Session.send

    def spy(self, request, **kwargs):
        seen["timeout"] = kwargs.get("timeout")
        return real_send(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", spy)
    assert session.get(f"https://127.0.0.1:{tls_server}/").status_code == 200
    assert seen["timeout"] == 3.5


# ------------------------------------------------------------------------------------------------ Google (httplib2)
def _google(host: str):
    from receptionist.config import GoogleSettings
    from receptionist.providers.google_calendar import GoogleCalendarProvider

    settings = GoogleSettings(api_endpoint=f"https://{host}/calendar/v3/", token_uri=f"https://{host}/token",
                              client_id="office-client")
    return GoogleCalendarProvider(settings, refresh_token="refresh", client_secret="secret")


def test_google_client_trusts_the_os_store_through_the_system_proxy(proxy, os_store, pki, monkeypatch):
    from receptionist.providers.http import OfficeHttp

    os_store(with_office_ca=True)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", pki["other"])
    http = _google(HOST)._http.http  # what googleapiclient and google-auth's refresh send through
    assert isinstance(http, OfficeHttp)

    answer, body = http.request(f"https://{HOST}/calendar/v3/users/me/calendarList")

    assert answer.status == 200 and body == f"hello {HOST}".encode()
    assert proxy.requests == [f"CONNECT {HOST}:443"]


def test_google_client_refuses_a_ca_the_os_store_does_not_hold(proxy, os_store):
    from receptionist.errors import Unreachable
    from receptionist.providers.google_calendar import map_exception

    os_store(with_office_ca=False)
    http = _google(HOST)._http.http

    with pytest.raises(ssl.SSLCertVerificationError) as refused:
        http.request(f"https://{HOST}/calendar/v3/users/me/calendarList")
    problem = map_exception(refused.value)
    assert isinstance(problem, Unreachable) and "certificate is not trusted" in str(problem)
