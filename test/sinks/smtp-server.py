"""A real SMTP server for the e-mail sink's tests: Debian's python3-aiosmtpd on 127.0.0.1 with
implicit TLS (as upstream's block requires) and AUTH accepting one user and password. Prints
"ready <port>" once listening, then one JSON line per message received, as Python's e-mail parser
reads it: envelope, headers, the HTML body and every other part."""
import base64
import json
import socket
import ssl
import sys
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

cert, key, user, password = sys.argv[1:5]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        parts = []
        for part in message.walk():
            if part.is_multipart():
                continue
            parts.append(
                {
                    "content_type": part.get_content_type(),
                    "filename": part.get_filename(),
                    "content_id": part.get("Content-ID"),
                    "disposition": part.get_content_disposition(),
                    "content": base64.b64encode(part.get_payload(decode=True)).decode(),
                }
            )
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "auth_user": session.auth_data.login.decode() if session.auth_data else None,
            "subject": str(message["Subject"]),
            "to": str(message["To"]),
            "cc": str(message["Cc"]) if message["Cc"] else None,
            "parts": parts,
        }
        print(json.dumps(record), flush=True)
        return "250 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login.decode() == user and auth_data.password.decode() == password
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


# aiosmtpd's controller needs a real port to check it is up: take a free one
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]

context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(
    Handler(),
    hostname="127.0.0.1",
    port=port,
    ssl_context=context,
    authenticator=authenticate,
    auth_require_tls=False,
)
controller.start()
print(f"ready {port}", flush=True)
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    controller.stop()
