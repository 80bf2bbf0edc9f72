"""A WebSocket client written with the Python `websockets` package, as a user's would be.

Usage: websocket_client.py URL. Connects, sends a routed message and a non-JSON one, prints
each reply, then sends a 40 KB frame and prints the close code as JSON lines."""

import asyncio
import json
import sys

import websockets


async def main(url):
    out = []
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"action": "join", "x": 1}))
        out.append({"reply": json.loads(await ws.recv())})
        await ws.send("not json")
        out.append({"reply": json.loads(await ws.recv())})
        await ws.send("x" * 40 * 1024)
        try:
            await asyncio.wait_for(ws.recv(), 5)
        except websockets.ConnectionClosed as e:
            out.append({"closed": e.rcvd.code if e.rcvd else None})
    for line in out:
        print(json.dumps(line))


asyncio.run(main(sys.argv[1]))
