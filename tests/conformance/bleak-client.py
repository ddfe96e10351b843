#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A third-party client's view of a BlueZ: Debian's Bleak (0.20, dbus-fast)
doing what a user's test script does with the DUT, one JSON line per
operation on stdout
(or --out FILE). It runs unchanged against bondcheck-sim (make check)
and against real bluetoothd in the QEMU guest (make check-vm); the outcome
tables of the two are compared by tests/conformance/conformance.py.

  discover -> connect -> services -> pair -> read -> notify -> reboot write
  -> link drop -> scan until it is back (wait-back) -> reconnect (on
  failure: rescan + a new client, once)
  -> read -> notify -> disconnect -> unpair

Each line: {"op", "outcome" ("ok", "skipped", "not-found" or the exception's
class name), "error" (a D-Bus error name, if any), "message", "ms",
"value" (what the operation returned that the table may check)}.
Waits are for events (a notification, the disconnected callback) with a
timeout, never sleeps. Exit status 0 when the script ran to its end,
whatever the outcomes; 2 on bad arguments.
"""
import argparse
import asyncio
import json
import sys
import time

from bleak import BleakClient, BleakScanner
from bleak.exc import BleakDBusError, BleakError

TEMP = "00002a6e-0000-1000-8000-00805f9b34fb"
REBOOT = "b0dc0002-0000-4000-8000-00805f9b34fb"


def short_uuid(u):
    if u.endswith("-0000-1000-8000-00805f9b34fb") and u.startswith("0000"):
        return u[4:8]
    return u


# what an operation may fail with (recorded, never raised)
FAILURES = (BleakError, asyncio.TimeoutError, EOFError, OSError)


class Recorder:
    def __init__(self, out):
        self.out = out

    def put(self, op, outcome, t0, error="", message="", value=None):
        rec = {"op": op, "outcome": outcome, "error": error,
               "message": message, "ms": round((time.monotonic() - t0) *
                                               1000, 1)}
        if value is not None:
            rec["value"] = value
        self.out.write(json.dumps(rec, sort_keys=True) + "\n")
        self.out.flush()
        return outcome == "ok"

    def skip(self, op):
        return self.put(op, "skipped", time.monotonic())

    async def do(self, op, coro, value=None):
        """Run @coro; record its outcome. Returns (ok, result)."""
        t0 = time.monotonic()
        try:
            res = await coro
        except FAILURES as e:
            return self.failed(op, e, t0), None
        self.put(op, "ok", t0, value=value(res) if value else None)
        return True, res

    def failed(self, op, e, t0):
        if isinstance(e, BleakDBusError):
            return self.put(op, type(e).__name__, t0, e.dbus_error,
                            str(e.dbus_error_details or ""))
        return self.put(op, type(e).__name__, t0, "", str(e))


async def wait_event(ev, timeout):
    await asyncio.wait_for(ev.wait(), timeout)
    return True


async def find(address, a):
    dev = await BleakScanner.find_device_by_address(
        address, timeout=a.scan_timeout, adapter=a.adapter)
    if dev is None:
        raise LookupError()
    return dev


async def discover(rec, op, a):
    t0 = time.monotonic()
    try:
        dev = await find(a.address, a)
    except LookupError:
        rec.put(op, "not-found", t0)
        return None
    except (BleakError, asyncio.TimeoutError) as e:
        rec.put(op, type(e).__name__, t0, "", str(e))
        return None
    rec.put(op, "ok", t0, value=dev.name)
    return dev


class Session:
    """One BleakClient with its disconnect and notification events."""

    def __init__(self, dev, a):
        self.dropped = asyncio.Event()
        self.notified = asyncio.Event()
        self.client = BleakClient(dev, adapter=a.adapter,
                                  timeout=a.connect_timeout,
                                  disconnected_callback=self.on_drop)

    def on_drop(self, client):
        self.dropped.set()

    def on_notify(self, sender, data):
        self.notified.set()

    async def connect(self):
        self.dropped.clear()
        return await self.client.connect()

    async def subscribe(self, timeout):
        self.notified.clear()
        await self.client.start_notify(TEMP, self.on_notify)
        await wait_event(self.notified, timeout)
        await self.client.stop_notify(TEMP)
        return True


def services_of(client):
    return sorted(short_uuid(s.uuid) for s in client.services)


async def after_reconnect(rec, s, a):
    await rec.do("read-after-reconnect",
                 s.client.read_gatt_char(TEMP), lambda v: len(v))
    await rec.do("notify-after-reconnect", s.subscribe(a.notify_timeout))
    await rec.do("disconnect", s.client.disconnect())


def rig_trouble(error, services):
    """Is this first connect's outcome the QEMU tier's rig, not the DUT
    the table models? bluetoothd as the DUT now and then never attaches
    ATT on the first link: the link drops during discovery (Bleak's
    "device disconnected"), or discovery ends with no service at all
    (a DUT always has some). What it was, or None."""
    if error is not None:
        if not isinstance(error, BleakDBusError) and \
                "device disconnected" in str(error):
            return str(error)
        return None
    if services is not None and not services:
        return "connected with no service at all"
    return None


async def first_connect(rec, dev, a):
    """The first connect: its Session, or None when it failed. With
    --retry-rig-drop, a rig_trouble() outcome is recorded as op rig-drop
    and the connect made once more with a new client."""
    s = Session(dev, a)
    t0 = time.monotonic()
    try:
        await s.connect()
    except FAILURES as e:
        if not (a.retry_rig_drop and rig_trouble(e, None)):
            rec.failed("connect", e, t0)
            return None
        rec.failed("rig-drop", e, t0)
    else:
        why = rig_trouble(None, services_of(s.client)) \
            if a.retry_rig_drop else None
        if not why:
            rec.put("connect", "ok", t0)
            return s
        rec.put("rig-drop", "no-services", t0, "", why)
        try:
            await s.client.disconnect()
        except FAILURES:
            pass
    s = Session(dev, a)
    ok, _ = await rec.do("connect", s.connect())
    return s if ok else None


def self_test():
    """rig_trouble() on the outcomes seen: only the rig's count."""
    dbus = BleakDBusError("org.bluez.Error.Failed", ["device disconnected"])
    cases = [
        (BleakError("failed to discover services, device disconnected"),
         None, True),
        (BleakError("Characteristic 2a6e was not found!"), None, False),
        (dbus, None, False),
        (asyncio.TimeoutError(), None, False),
        (None, [], True),
        (None, ["1801"], False),
        (None, None, False),
    ]
    bad = [n for n, (e, sv, want) in enumerate(cases)
           if bool(rig_trouble(e, sv)) != want]
    print("bleak-client: self-test %s (%d cases)" % (
        "FAILED: %s" % bad if bad else "ok", len(cases)))
    return 1 if bad else 0


async def main_async(a, out):
    rec = Recorder(out)
    dev = await discover(rec, "discover", a)
    if dev is None:
        return 0
    s = await first_connect(rec, dev, a)
    if s is None:
        return 0
    rec.put("services", "ok", time.monotonic(),
            value=services_of(s.client))
    await rec.do("pair", s.client.pair())
    await rec.do("read", s.client.read_gatt_char(TEMP), lambda v: len(v))
    await rec.do("notify", s.subscribe(a.notify_timeout))
    await rec.do("write-reboot",
                 s.client.write_gatt_char(REBOOT, b"\x01", response=True))
    await rec.do("link-drop", wait_event(s.dropped, a.drop_timeout))
    # wait until it advertises again (or Bleak's scan gives up), as a
    # script that reconnects to a rebooted device does
    await discover(rec, "wait-back", a)

    ok, _ = await rec.do("reconnect", s.connect())
    if ok:
        await after_reconnect(rec, s, a)
    else:
        # what a user's script does next: look for the device again and
        # try once more with a new client
        dev2 = await discover(rec, "rescan", a)
        if dev2 is not None:
            s = Session(dev2, a)
            ok, _ = await rec.do("reconnect-new-client", s.connect())
            if ok:
                await after_reconnect(rec, s, a)
            else:
                rec.skip("read-after-reconnect")
        else:
            rec.skip("reconnect-new-client")
    await rec.do("unpair", s.client.unpair())
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--address", required=True)
    ap.add_argument("--adapter", default="hci0")
    ap.add_argument("--scan-timeout", type=float, default=8.0)
    ap.add_argument("--connect-timeout", type=float, default=8.0)
    ap.add_argument("--notify-timeout", type=float, default=8.0)
    ap.add_argument("--drop-timeout", type=float, default=8.0)
    ap.add_argument("--retry-rig-drop", action="store_true",
                    help="a first connect the DUT dropped (\"device "
                    "disconnected\") or that found no service at all is "
                    "recorded as op rig-drop and made once more (the QEMU "
                    "tier's DUT is bluetoothd)")
    ap.add_argument("--out", help="the JSON lines go here (default: stdout; "
                    "Bleak's own log, BLEAK_LOGGING=1, goes there too)")
    a = ap.parse_args()
    if not a.out:
        return asyncio.run(main_async(a, sys.stdout))
    with open(a.out, "w") as out:
        return asyncio.run(main_async(a, out))


if __name__ == "__main__":
    sys.exit(main())
