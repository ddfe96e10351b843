#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The bondcheck soak cycle as a Bleak user would write it (Debian's
python3-bleak 0.20, asyncio), for make bench to compare: find the DUT,
connect, pair once, then N times: reboot the DUT (write 01 to its reboot
characteristic), wait for the disconnected callback, find it again
(BleakScanner.find_device_by_address: discovery until it advertises),
connect a new client, read the encrypted characteristic.

Usage: bleak_cycle.py ADDRESS CYCLES    (on $DBUS_SYSTEM_BUS_ADDRESS)
Prints one line: "<ms per cycle> <cycles>".
"""
import asyncio
import sys
import time

from bleak import BleakClient, BleakScanner

TEMP = "00002a6e-0000-1000-8000-00805f9b34fb"
REBOOT = "b0dc0002-0000-4000-8000-00805f9b34fb"


async def find(address):
    dev = await BleakScanner.find_device_by_address(address, timeout=30)
    if dev is None:
        sys.exit("bleak_cycle: %s not found" % address)
    return dev


class Session:
    def __init__(self, dev):
        self.dropped = asyncio.Event()
        self.client = BleakClient(dev, timeout=30,
                                  disconnected_callback=self.on_drop)

    def on_drop(self, client):
        self.dropped.set()


async def main(address, cycles):
    s = Session(await find(address))
    await s.client.connect()
    await s.client.pair()
    await s.client.read_gatt_char(TEMP)
    t0 = time.monotonic()
    for i in range(cycles):
        # the DUT may reset before it answers the write
        try:
            await s.client.write_gatt_char(REBOOT, b"\x01", response=True)
        except Exception:
            pass
        await asyncio.wait_for(s.dropped.wait(), 30)
        s = Session(await find(address))
        await s.client.connect()
        await s.client.read_gatt_char(TEMP)
    elapsed = time.monotonic() - t0
    await s.client.disconnect()
    print("%.3f %d" % (elapsed * 1000 / cycles, cycles))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
