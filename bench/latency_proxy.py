#!/usr/bin/env python3
"""bench/latency_proxy.py — a TCP proxy on 127.0.0.1 that delays every byte by
a fixed time in each direction, to emulate a remote registry (the kernel's
netem is not available here). Bytes keep their order and the link is not
bandwidth-limited: each chunk is forwarded DELAY after it arrived.

usage: latency_proxy.py --target HOST:PORT [--listen PORT] [--delay-ms 20]
                        [--lifetime SECONDS] [--port-file FILE]
Prints the listening port (also to --port-file) and exits by itself after
--lifetime seconds (default 1800)."""
import argparse
import asyncio
import sys


async def pump(reader, writer, delay):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def sender():
        while True:
            due, chunk = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if chunk is None:
                break
            writer.write(chunk)
            await writer.drain()
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass

    task = asyncio.create_task(sender())
    try:
        while True:
            chunk = await reader.read(65536)
            queue.put_nowait((loop.time() + delay, chunk if chunk else None))
            if not chunk:
                break
    except (ConnectionError, OSError):
        queue.put_nowait((loop.time() + delay, None))
    try:
        await task
    except (ConnectionError, OSError):
        pass


async def handle(client_reader, client_writer, target_host, target_port, delay):
    try:
        up_reader, up_writer = await asyncio.open_connection(target_host, target_port)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pump(client_reader, up_writer, delay), pump(up_reader, client_writer, delay),
                         return_exceptions=True)
    for w in (client_writer, up_writer):
        try:
            w.close()
        except OSError:
            pass


async def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", required=True)
    ap.add_argument("--listen", type=int, default=0)
    ap.add_argument("--delay-ms", type=float, default=20.0)
    ap.add_argument("--lifetime", type=float, default=1800.0)
    ap.add_argument("--port-file")
    a = ap.parse_args()
    host, port = a.target.rsplit(":", 1)
    delay = a.delay_ms / 1000.0
    server = await asyncio.start_server(lambda r, w: handle(r, w, host, int(port), delay), "127.0.0.1", a.listen)
    bound = server.sockets[0].getsockname()[1]
    print(bound, flush=True)
    if a.port_file:
        with open(a.port_file, "w") as f:
            f.write(f"{bound}\n")
    async with server:
        try:
            await asyncio.wait_for(server.serve_forever(), timeout=a.lifetime)
        except asyncio.TimeoutError:
            pass


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
