"""A real SMTP server on 127.0.0.1 for the `arrears send` tests (aiosmtpd, Debian's
python3-aiosmtpd).

Listens on a free port, prints `PORT <n>` on stdout once it accepts connections, and stores
every message it accepts in the Maildir `--maildir`, with the envelope in two headers put in
front (`X-Test-Mail-From`, `X-Test-Rcpt-To`). It stops when its standard input closes, so it
never outlives the test that started it.

    --security none|starttls|tls   STARTTLS offered (and required) or TLS from the first byte
    --cert FILE --key FILE         the server certificate for starttls and tls
    --user NAME --password PW      AUTH PLAIN/LOGIN required with these credentials
    --token TOKEN                  AUTH XOAUTH2 accepted with this bearer token (for --user)
    --reject-permanent ADDR        RCPT TO:<ADDR> answered 550
    --reject-temporary ADDR=N      RCPT TO:<ADDR> answered 451 the first N times (0: always)
"""

import argparse
import asyncio
import base64
import mailbox
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    def __init__(self, args):
        self.maildir = mailbox.Maildir(args.maildir, create=True)
        self.permanent = set(a.lower() for a in args.reject_permanent)
        self.temporary = {}
        for rule in args.reject_temporary:
            address, _, count = rule.rpartition("=")
            self.temporary[address.lower()] = int(count)
        self.user = args.user
        self.token = args.token

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        key = address.lower()
        if key in self.permanent:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if key in self.temporary:
            left = self.temporary[key]
            if left == 0:
                return "451 4.3.0 <%s>: try again later" % address
            if left > 0:
                self.temporary[key] = left - 1 if left > 1 else -1
                return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        head = "X-Test-Mail-From: %s\r\nX-Test-Rcpt-To: %s\r\n" % (
            envelope.mail_from,
            ", ".join(envelope.rcpt_tos),
        )
        self.maildir.add(head.encode() + envelope.original_content)
        return "250 2.0.0 Ok: queued"

    async def auth_XOAUTH2(self, server, args):
        if self.token is None or len(args) < 2:
            return AuthResult(success=False, handled=False)
        try:
            text = base64.b64decode(args[1]).decode()
        except Exception:
            return AuthResult(success=False, handled=False)
        expected = "user=%s\x01auth=Bearer %s\x01\x01" % (self.user, self.token)
        return AuthResult(success=text == expected, handled=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--security", default="none", choices=["none", "starttls", "tls"])
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--token")
    parser.add_argument("--reject-permanent", action="append", default=[])
    parser.add_argument("--reject-temporary", action="append", default=[])
    args = parser.parse_args()

    handler = Handler(args)
    context = None
    if args.security != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)

    def authenticator(server, session, envelope, mechanism, data):
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == args.user
            and data.password.decode() == args.password
        )
        return AuthResult(success=ok, handled=False)

    def factory():
        return SMTP(
            handler,
            hostname="test.smtp.local",
            decode_data=False,
            enable_SMTPUTF8=True,
            tls_context=context if args.security == "starttls" else None,
            require_starttls=args.security == "starttls",
            authenticator=authenticator if args.user else None,
            auth_required=bool(args.user),
            auth_require_tls=False,
        )

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(
            factory,
            "127.0.0.1",
            0,
            ssl=context if args.security == "tls" else None,
        )
    )
    port = server.sockets[0].getsockname()[1]
    print("PORT %d" % port, flush=True)

    def wait_for_eof():
        sys.stdin.read()
        loop.call_soon_threadsafe(loop.stop)

    threading.Thread(target=wait_for_eof, daemon=True).start()
    loop.run_forever()
    server.close()


if __name__ == "__main__":
    main()
