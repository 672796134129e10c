#!/usr/bin/python3
"""smtpd.py - a real SMTP server on 127.0.0.1 for holos tests (Debian's python3-aiosmtpd).

Each accepted message becomes DIR/new/<n>.eml (the raw DATA, dot-unstuffed) with its
envelope in DIR/new/<n>.env; both are written to DIR/tmp first and renamed, the .env
before the .eml, so a reader that sees the .eml can read both. Prints "ready <port>"
once listening (with --port 0 the kernel picks the port) and exits 0 on SIGTERM.
"""

import argparse
import asyncio
import logging
import os
import signal
import ssl
import sys
import warnings

try:
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
except ImportError:
    sys.stderr.write("smtpd.py: python3-aiosmtpd is missing: run sh scripts/deps.sh "
                     "(apt-get install python3-aiosmtpd)\n")
    sys.exit(2)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True, help="0 picks a free port")
    p.add_argument("--maildir", required=True)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--require-starttls", action="store_true")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--auth-user")
    p.add_argument("--auth-pass")
    p.add_argument("--auth-exclude", action="append", default=[],
                   help="do not offer this AUTH mechanism (LOGIN, PLAIN)")
    p.add_argument("--reject-rcpt", help="answer 550 to RCPT TO containing this")
    p.add_argument("--tempfail-rcpt", help="answer 451 to RCPT TO containing this")
    p.add_argument("--data-delay", type=float, default=0,
                   help="seconds to wait, the message kept, before answering its DATA")
    p.add_argument("--smtputf8", action="store_true",
                   help="offer SMTPUTF8 (RFC 6531); the .env records MAIL FROM's options")
    a = p.parse_args()
    if (a.require_starttls or a.implicit_tls) and not (a.tls_cert and a.tls_key):
        p.error("--require-starttls and --implicit-tls need --tls-cert and --tls-key")
    if a.require_starttls and a.implicit_tls:
        p.error("--require-starttls and --implicit-tls exclude each other")
    if (a.auth_user is None) != (a.auth_pass is None):
        p.error("--auth-user and --auth-pass go together")
    return a


class Handler:
    def __init__(self, args):
        self.args = args
        self.count = 0
        self.new = os.path.join(args.maildir, "new")
        self.tmp = os.path.join(args.maildir, "tmp")
        os.makedirs(self.new, exist_ok=True)
        os.makedirs(self.tmp, exist_ok=True)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.args.reject_rcpt and self.args.reject_rcpt in address:
            return "550 5.1.1 Mailbox unavailable"
        if self.args.tempfail_rcpt and self.args.tempfail_rcpt in address:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def _put(self, name, data):
        tmp = os.path.join(self.tmp, name)
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(self.new, name))

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        n = self.count
        tls = server.transport.get_extra_info("ssl_object") is not None
        env = ["MAIL FROM: <%s>" % envelope.mail_from]
        if envelope.mail_options:
            env.append("MAIL OPTIONS: %s" % " ".join(envelope.mail_options))
        env += ["RCPT TO: <%s>" % r for r in envelope.rcpt_tos]
        env.append("TLS: %s" % ("yes" if tls else "no"))
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            env.append("AUTH: %s" % session.auth_data.login.decode("utf-8", "replace"))
        self._put("%d.env" % n, ("\n".join(env) + "\n").encode("utf-8"))
        # The client's end of the connection, apart from the envelope:
        # messages with the same one came over one SMTP session.
        peer = session.peer if isinstance(session.peer, tuple) else ("?", 0)
        self._put("%d.peer" % n, ("%s:%s\n" % (peer[0], peer[1])).encode())
        self._put("%d.eml" % n, envelope.original_content)
        if self.args.data_delay > 0:
            await asyncio.sleep(self.args.data_delay)
        return "250 2.0.0 Message accepted"


def authenticator(args):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == args.auth_user.encode("utf-8")
              and auth_data.password == args.auth_pass.encode("utf-8"))
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
    return check


async def serve(args):
    loop = asyncio.get_running_loop()
    handler = Handler(args)
    ctx = None
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
    kw = {"hostname": "smtpd.test", "ident": "holos test smtpd", "timeout": 30}
    if args.smtputf8:
        kw["enable_SMTPUTF8"] = True
    if args.implicit_tls:
        # aiosmtpd only counts STARTTLS as TLS, so over implicit TLS it would never
        # offer AUTH: the whole connection is TLS already, so lift that check.
        kw["auth_require_tls"] = False
    else:
        kw["tls_context"] = ctx
        kw["require_starttls"] = args.require_starttls
    if args.auth_user is not None:
        kw["authenticator"] = authenticator(args)
        kw["auth_required"] = True
        kw["auth_exclude_mechanism"] = args.auth_exclude

    def factory():
        return SMTP(handler, loop=loop, **kw)

    server = await loop.create_server(factory, host="127.0.0.1", port=args.port,
                                      ssl=ctx if args.implicit_tls else None)
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    loop.add_signal_handler(signal.SIGINT, stop.set_result, None)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write("ready %d\n" % port)
    sys.stdout.flush()
    await stop
    server.close()
    await server.wait_closed()


def main():
    args = parse_args()
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
