"""Mail through a real SMTP server on loopback, and the default outbox."""

import email
import socket

import pytest
from aiosmtpd.controller import Controller

from apkdepot.mail import OutboxMailer, SmtpMailer, compose
from tests.helpers import link_token, personal_form, wait_for


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, f"smtp://127.0.0.1:{controller.port}"
    controller.stop()


def test_sign_up_mail_over_real_smtp_confirms_the_account(tmp_path, database_url, smtp_server):
    from litestar.testing import TestClient

    from apkdepot.app import create_app
    from apkdepot.services import build_services
    from tests.conftest import make_settings

    inbox, url = smtp_server
    svc = build_services(make_settings(tmp_path, database_url, smtp_url=url))
    with TestClient(create_app(services=svc), base_url="http://testserver.local") as client:
        assert client.post("/api/accounts/register", json=personal_form(), headers={"Accept-Language": "pt-BR"}).status_code == 201
        wait_for(lambda: inbox.messages, "the mail to reach the SMTP server")
        message = inbox.messages[0]
        assert message["To"] == "new@example.com"
        assert message["Subject"] == "Confirme sua conta ApkDepot"
        body = message.get_payload(decode=True).decode()
        token = link_token(body, "/confirm")
        assert body.count("http://testserver.local/confirm?token=") == 1
        assert client.get("/api/accounts/confirm", params={"token": token}).json()["developer"]["email_confirmed"]
    svc.close()


def test_outbox_writes_whole_files(tmp_path):
    OutboxMailer(tmp_path / "outbox").send(compose("a@x", "b@y", "Hi", "body"))
    files = list((tmp_path / "outbox").iterdir())
    assert len(files) == 1 and files[0].suffix == ".eml"
    assert email.message_from_bytes(files[0].read_bytes())["Subject"] == "Hi"


def test_smtp_url_must_name_a_known_scheme():
    with pytest.raises(ValueError):
        SmtpMailer("http://example.com")


def _self_signed(tmp_path):
    """A certificate for 127.0.0.1 (and its key), and the PEM to trust it by."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ApkDepot test SMTP")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "smtp.crt", tmp_path / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_tls_mail_verifies_the_server(tmp_path, scheme):
    import ssl

    cert, key = _self_signed(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    inbox = Inbox()
    options = ({"tls_context": server_context, "require_starttls": True} if scheme == "smtp+starttls"
               else {"ssl_context": server_context})
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        url = f"{scheme}://127.0.0.1:{controller.port}"
        message = compose("ApkDepot <no-reply@example.com>", "dev@example.com", "Hello", "over TLS")
        # Not trusted: refused, nothing delivered (no silent fallback to an unverified link).
        with pytest.raises(ssl.SSLCertVerificationError):
            SmtpMailer(url).send(message)
        assert inbox.messages == []
        SmtpMailer(url, ca_file=str(cert)).send(message)
        wait_for(lambda: inbox.messages, "the mail over TLS")
        assert inbox.messages[0]["Subject"] == "Hello"
    finally:
        controller.stop()
