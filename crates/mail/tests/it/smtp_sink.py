"""A local SMTP sink for dsrflow-mail's tests (needs `pip install aiosmtpd`).

Usage: python3 smtp_sink.py OUT_DIR [--reject ADDR]... [--tempfail ADDR]...

Listens on 127.0.0.1 on a free port and prints "PORT <n>" once it accepts connections. Each
accepted message is saved as OUT_DIR/<n>.eml (written to a temporary name, then renamed) with
its envelope in OUT_DIR/<n>.env. RCPT TO a --reject address gets a 550 reply, a --tempfail
address a 451 reply. Stops when stdin closes or on SIGTERM.
"""

import argparse
import asyncio
import os
import pathlib
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, out, reject, tempfail):
        self.out = out
        self.reject = {a.lower() for a in reject}
        self.tempfail = {a.lower() for a in tempfail}
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if address.lower() in self.tempfail:
            return f"451 4.2.0 <{address}>: Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        n = self.count
        (self.out / f"{n}.env").write_text(
            "\n".join([envelope.mail_from, *envelope.rcpt_tos]) + "\n"
        )
        tmp = self.out / f".{n}.tmp"
        tmp.write_bytes(envelope.original_content or envelope.content)
        os.replace(tmp, self.out / f"{n}.eml")
        return f"250 2.0.0 OK queued as {n}"


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--reject", action="append", default=[])
    parser.add_argument("--tempfail", action="append", default=[])
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sink = Sink(out, args.reject, args.tempfail)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.test", decode_data=False), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    # Stop when the test process goes away (stdin closes).
    stdin_closed = loop.create_future()

    def on_stdin():
        if not sys.stdin.buffer.read1(1024) and not stdin_closed.done():
            stdin_closed.set_result(None)

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    async with server:
        await stdin_closed


if __name__ == "__main__":
    asyncio.run(main())
