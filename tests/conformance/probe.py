#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""tests/conformance/probe.py: the D-Bus surface of a BlueZ, as a table.

  probe.py run --address ADDR [--out FILE]
      against the bus in DBUS_SYSTEM_BUS_ADDRESS: Introspect of every
      object of the adapter hci0 and the DUT, GetManagedObjects, and the
      call rows (CALLS: methods, Get/Set, errors) in the device's states
      (discovered, connected, paired, disconnected, removed); JSON out.
  probe.py compare REAL.json SIM.json [--md FILE]
      every line where the two differ, and the reason it may (EXPLAINED,
      the entries of doc/simulator.md's "Known differences"); exit 1 when a
      difference has no reason.

Uses dbus-fast (Bleak's D-Bus library), so it runs in the QEMU guest
beside Bleak. Object paths and the DUT's address are reduced to their kind
(adapter, device, service, char, desc), so the two sides compare although
handles and addresses differ. Every wait is for a signal or a reply, with
a timeout.
"""
import argparse
import asyncio
import json
import re
import sys
import xml.etree.ElementTree as ET

from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus

BLUEZ = "org.bluez"
HCI = "/org/bluez/hci0"
TEMP = "00002a6e-0000-1000-8000-00805f9b34fb"
REBOOT = "b0dc0002-0000-4000-8000-00805f9b34fb"
CCCD = "00002902-0000-1000-8000-00805f9b34fb"
PROPS = "org.freedesktop.DBus.Properties"
ADAPTER = "org.bluez.Adapter1"
DEVICE = "org.bluez.Device1"
CHAR = "org.bluez.GattCharacteristic1"
DESC = "org.bluez.GattDescriptor1"
NOWHERE = "/org/bluez/hci0/dev_00_00_5E_00_53_00"


def kind(path):
    if path == "/":
        return "root"
    if path == "/org/bluez":
        return "bluez"
    if re.fullmatch(r"/org/bluez/hci\d+", path):
        return "adapter"
    for k in ("desc", "char", "service"):
        if re.search(r"/%s[0-9a-f]{4}$" % k, path):
            return k
    if re.search(r"/dev_[0-9A-F_]{17}$", path):
        return "device"
    return "other"


def introspect_lines(xml):
    """One line per interface member, with its arguments' names."""
    out = []
    for iface in ET.fromstring(xml).findall("interface"):
        n = iface.get("name")
        for m in iface.findall("method"):
            args = ["%s %s %s" % (a.get("direction", "in"), a.get("type"),
                                  a.get("name") or "-")
                    for a in m.findall("arg")]
            out.append("%s method %s(%s)" % (n, m.get("name"),
                                              ", ".join(args)))
        for s in iface.findall("signal"):
            args = ["%s %s" % (a.get("type"), a.get("name") or "-")
                    for a in s.findall("arg")]
            out.append("%s signal %s(%s)" % (n, s.get("name"),
                                              ", ".join(args)))
        for p in iface.findall("property"):
            out.append("%s property %s %s %s" % (n, p.get("name"),
                                                  p.get("type"),
                                                  p.get("access")))
        if not (iface.findall("method") or iface.findall("signal") or
                iface.findall("property")):
            out.append("%s (empty)" % n)
    return out


class Probe:
    def __init__(self, bus, address):
        self.bus = bus
        self.address = address
        self.dev = "%s/dev_%s" % (HCI, address.replace(":", "_"))
        self.rows = []
        self.events = {}
        self.props = {}

    def norm(self, text):
        text = str(text)
        text = text.replace(self.dev, "DEV").replace(self.address, "ADDR")
        text = re.sub(r"/service[0-9a-f]{4}", "/serviceXXXX", text)
        text = re.sub(r"/char[0-9a-f]{4}", "/charXXXX", text)
        return re.sub(r"/desc[0-9a-f]{4}", "/descXXXX", text)

    async def call(self, path, iface, member, sig="", body=None, timeout=30):
        msg = Message(destination=BLUEZ, path=path, interface=iface,
                      member=member, signature=sig, body=body or [])
        return await asyncio.wait_for(self.bus.call(msg), timeout)

    def result(self, reply):
        if reply.message_type == MessageType.ERROR:
            text = reply.body[0] if reply.body else ""
            return "%s %s" % (reply.error_name, json.dumps(self.norm(text)))
        return "ok" + self.shape(reply)

    def shape(self, reply):
        """What the reply carries, reduced to what both sides share."""
        if not reply.body:
            return ""
        if reply.signature == "h" or "h" in reply.signature:
            return " (%s: an fd)" % reply.signature
        if reply.signature == "v":
            v = reply.body[0]
            return " (%s)" % v.signature
        if reply.signature == "a{sv}":
            return " (%s)" % ", ".join(sorted(reply.body[0]))
        return " (%s)" % reply.signature

    async def row(self, state, label, path, iface, member, sig="", body=None):
        try:
            r = self.result(await self.call(path, iface, member, sig, body))
        except asyncio.TimeoutError:
            r = "no reply in 30 s"
        self.rows.append({"state": state, "call": label, "result": r})
        return r

    # ---- waiting for signals -------------------------------------------

    def on_message(self, msg):
        if msg.message_type != MessageType.SIGNAL:
            return
        if msg.member == "InterfacesAdded" and msg.body[0] == self.dev:
            self.fire("device-added")
        if msg.member == "InterfacesRemoved" and msg.body[0] == self.dev:
            self.fire("device-removed")
        if msg.member == "PropertiesChanged" and msg.path == self.dev and \
                msg.body[0] == DEVICE:
            for k, v in msg.body[1].items():
                self.props[k] = v.value
                self.fire("%s=%s" % (k, v.value))

    def fire(self, name):
        ev = self.events.setdefault(name, asyncio.Event())
        ev.set()

    async def wait(self, name, timeout=30):
        ev = self.events.setdefault(name, asyncio.Event())
        await asyncio.wait_for(ev.wait(), timeout)
        ev.clear()

    async def get(self, path, iface, prop):
        r = await self.call(path, PROPS, "Get", "ss", [iface, prop])
        if r.message_type == MessageType.ERROR:
            return None
        return r.body[0].value

    # ---- the surface ----------------------------------------------------

    async def introspect_all(self):
        out, todo = {}, ["/"]
        while todo:
            path = todo.pop()
            r = await self.call(path, "org.freedesktop.DBus.Introspectable",
                                "Introspect")
            if r.message_type == MessageType.ERROR:
                continue
            xml = r.body[0]
            for node in ET.fromstring(xml).findall("node"):
                child = (path.rstrip("/") + "/" + node.get("name"))
                # only the central's adapter and the DUT's tree
                if child.startswith("/org/bluez/hci") and \
                        not (child == HCI or child.startswith(self.dev)
                             or self.dev.startswith(child + "/")):
                    continue
                todo.append(child)
            k = kind(path)
            lines = out.setdefault(k, set())
            lines.update(introspect_lines(xml))
        return {k: sorted(v) for k, v in out.items()}

    async def managed(self):
        r = await self.call("/", "org.freedesktop.DBus.ObjectManager",
                            "GetManagedObjects")
        out, facts = {}, set()
        for path, ifaces in r.body[0].items():
            if path.startswith("/org/bluez/hci") and \
                    not (path == HCI or path.startswith(self.dev)):
                continue
            k = kind(path)
            lines = out.setdefault(k, set())
            for iface, props in ifaces.items():
                lines.add("%s (interface)" % iface)
                for p, v in props.items():
                    lines.add("%s %s %s" % (iface, p, v.signature))
            uuids = ifaces.get(ADAPTER, ifaces.get(DEVICE, {})).get("UUIDs")
            if uuids is not None:
                short = sorted(u[4:8] for u in uuids.value
                               if u.endswith("-0000-1000-8000-00805f9b34fb"))
                for u in ("1800", "1801"):
                    facts.add("%s UUIDs %s %s" % (k, "has" if u in short
                                                   else "lacks", u))
            svc = ifaces.get("org.bluez.GattService1")
            if svc:
                facts.add("service %s" % svc["UUID"].value[:8])
            ch = ifaces.get(CHAR)
            if ch:
                facts.add("char %s Value %s" % (
                    ch["UUID"].value[:8],
                    "present" if "Value" in ch else "absent"))
                if "MTU" in ch:
                    facts.add("char MTU %s" % ("23" if ch["MTU"].value == 23
                                               else "above 23"))
        res = {k: sorted(v) for k, v in out.items()}
        res["facts"] = sorted(facts)
        return res

    async def objects(self):
        r = await self.call("/", "org.freedesktop.DBus.ObjectManager",
                            "GetManagedObjects")
        return r.body[0]

    async def find(self, uuid, iface):
        for path, ifaces in (await self.objects()).items():
            if path.startswith(self.dev) and iface in ifaces and \
                    ifaces[iface]["UUID"].value == uuid:
                return path
        return None

    # ---- the call rows --------------------------------------------------

    async def run(self):
        self.bus.add_message_handler(self.on_message)
        await self.bus.call(Message(
            destination="org.freedesktop.DBus", path="/org/freedesktop/DBus",
            interface="org.freedesktop.DBus", member="AddMatch",
            signature="s", body=["type='signal',sender='org.bluez'"]))
        out = {}
        st = "adapter"
        await self.row(st, "StopDiscovery without a session", HCI, ADAPTER,
                       "StopDiscovery")
        await self.row(st, "SetDiscoveryFilter Transport=le", HCI, ADAPTER,
                       "SetDiscoveryFilter", "a{sv}",
                       [{"Transport": Variant("s", "le")}])
        await self.row(st, "SetDiscoveryFilter unknown key", HCI, ADAPTER,
                       "SetDiscoveryFilter", "a{sv}",
                       [{"Bogus": Variant("s", "le")}])
        await self.row(st, "SetDiscoveryFilter Transport of type u", HCI,
                       ADAPTER, "SetDiscoveryFilter", "a{sv}",
                       [{"Transport": Variant("u", 5)}])
        await self.row(st, "GetDiscoveryFilters", HCI, ADAPTER,
                       "GetDiscoveryFilters")
        known = self.dev in await self.objects()
        await self.row(st, "StartDiscovery", HCI, ADAPTER, "StartDiscovery")
        await self.row(st, "StartDiscovery again", HCI, ADAPTER,
                       "StartDiscovery")
        if not known:
            await self.wait("device-added")
        await self.row(st, "StopDiscovery", HCI, ADAPTER, "StopDiscovery")
        await self.row(st, "RemoveDevice of an unknown device", HCI, ADAPTER,
                       "RemoveDevice", "o", [NOWHERE])
        await self.row(st, "RemoveDevice of a non-device path", HCI, ADAPTER,
                       "RemoveDevice", "o", ["/org/bluez"])
        for prop in ("Address", "Bogus", "ExperimentalFeatures",
                     "PowerState", "DiscoverableTimeout"):
            await self.row(st, "Get Adapter1.%s" % prop, HCI, PROPS, "Get",
                           "ss", [ADAPTER, prop])
        await self.row(st, "Get of an unknown interface", HCI, PROPS, "Get",
                       "ss", ["org.bluez.Bogus1", "Address"])
        await self.row(st, "GetAll Adapter1", HCI, PROPS, "GetAll", "s",
                       [ADAPTER])
        await self.row(st, "Set Adapter1.Address (read-only)", HCI, PROPS,
                       "Set", "ssv", [ADAPTER, "Address",
                                      Variant("s", "00:11:22:33:44:55")])
        await self.row(st, "Set Adapter1.Powered as a string", HCI, PROPS,
                       "Set", "ssv", [ADAPTER, "Powered",
                                      Variant("s", "yes")])
        await self.row(st, "Set Adapter1.DiscoverableTimeout 170", HCI,
                       PROPS, "Set", "ssv", [ADAPTER, "DiscoverableTimeout",
                                             Variant("u", 170)])
        await self.row(st, "Set Adapter1.PairableTimeout 0", HCI, PROPS,
                       "Set", "ssv", [ADAPTER, "PairableTimeout",
                                      Variant("u", 0)])
        await self.row(st, "Set Adapter1.Alias", HCI, PROPS, "Set", "ssv",
                       [ADAPTER, "Alias", Variant("s", "probe")])
        # the agent manager
        am = ("/org/bluez", "org.bluez.AgentManager1")
        await self.row(st, "RegisterAgent unknown capability", *am,
                       "RegisterAgent", "os", ["/probe/agent", "Bogus"])
        await self.row(st, "RegisterAgent", *am, "RegisterAgent", "os",
                       ["/probe/agent", "NoInputNoOutput"])
        await self.row(st, "RegisterAgent again", *am, "RegisterAgent",
                       "os", ["/probe/agent", "NoInputNoOutput"])
        await self.row(st, "RequestDefaultAgent of another path", *am,
                       "RequestDefaultAgent", "o", ["/probe/other"])
        await self.row(st, "UnregisterAgent of another path", *am,
                       "UnregisterAgent", "o", ["/probe/other"])
        await self.row(st, "UnregisterAgent", *am, "UnregisterAgent", "o",
                       ["/probe/agent"])
        await self.row(st, "UnregisterAgent again", *am, "UnregisterAgent",
                       "o", ["/probe/agent"])
        # the managers a peripheral role needs
        await self.row(st, "GattManager1.RegisterApplication", HCI,
                       "org.bluez.GattManager1", "RegisterApplication",
                       "oa{sv}", ["/probe/app", {}])
        await self.row(st, "LEAdvertisingManager1.RegisterAdvertisement",
                       HCI, "org.bluez.LEAdvertisingManager1",
                       "RegisterAdvertisement", "oa{sv}", ["/probe/adv", {}])
        await self.row(st, "ProfileManager1.RegisterProfile", "/org/bluez",
                       "org.bluez.ProfileManager1", "RegisterProfile",
                       "osa{sv}", ["/probe/profile",
                                   "0000110b-0000-1000-8000-00805f9b34fb",
                                   {}])
        # dispatch
        await self.row(st, "Connect on an unknown object", NOWHERE, DEVICE,
                       "Connect")
        await self.row(st, "unknown method", self.dev, DEVICE, "Bogus")
        await self.row(st, "Connect with a wrong signature", self.dev,
                       DEVICE, "Connect", "s", ["x"])

        st = "discovered"
        await self.row(st, "Disconnect when not connected", self.dev, DEVICE,
                       "Disconnect")
        await self.row(st, "CancelPairing with nothing pending", self.dev,
                       DEVICE, "CancelPairing")
        await self.row(st, "Get Device1.Class", self.dev, PROPS, "Get", "ss",
                       [DEVICE, "Class"])
        await self.row(st, "Get Device1.AdvertisingFlags", self.dev, PROPS,
                       "Get", "ss", [DEVICE, "AdvertisingFlags"])
        await self.row(st, "Set Device1.Trusted as a string", self.dev, PROPS,
                       "Set", "ssv", [DEVICE, "Trusted", Variant("s", "yes")])
        await self.row(st, "Set Device1.Address (read-only)", self.dev,
                       PROPS, "Set", "ssv",
                       [DEVICE, "Address", Variant("s", "00:11:22:33:44:55")])
        await self.row(st, "Set Device1.Alias", self.dev, PROPS, "Set",
                       "ssv", [DEVICE, "Alias", Variant("s", "probe")])
        await self.row(st, "GetAll Device1", self.dev, PROPS, "GetAll", "s",
                       [DEVICE])

        st = "connected"
        await self.row(st, "Connect", self.dev, DEVICE, "Connect")
        if not await self.get(self.dev, DEVICE, "ServicesResolved"):
            await self.wait("ServicesResolved=True")
        await self.row(st, "Connect when connected", self.dev, DEVICE,
                       "Connect")
        await self.row(st, "ConnectProfile 181A", self.dev, DEVICE,
                       "ConnectProfile", "s",
                       ["0000181a-0000-1000-8000-00805f9b34fb"])
        await self.row(st, "Pair", self.dev, DEVICE, "Pair")
        st = "paired"
        await self.row(st, "Pair when bonded", self.dev, DEVICE, "Pair")
        temp = await self.find(TEMP, CHAR)
        reboot = await self.find(REBOOT, CHAR)
        cccd = None
        for path, ifaces in (await self.objects()).items():
            if path.startswith(temp + "/") and DESC in ifaces and \
                    ifaces[DESC]["UUID"].value == CCCD:
                cccd = path
        out["introspect"] = await self.introspect_all()
        out["managed"] = await self.managed()
        if not (temp and reboot and cccd):
            out["rows"] = self.rows
            out["error"] = "the DUT's characteristics were not found"
            return out
        await self.row(st, "ReadValue Temperature", temp, CHAR, "ReadValue",
                       "a{sv}", [{}])
        await self.row(st, "ReadValue with offset of type s", temp, CHAR,
                       "ReadValue", "a{sv}", [{"offset": Variant("s", "x")}])
        await self.row(st, "ReadValue of the write-only char", reboot, CHAR,
                       "ReadValue", "a{sv}", [{}])
        for t in (None, "command", "request"):
            opts = {"type": Variant("s", t)} if t else {}
            await self.row(st, "WriteValue Temperature type=%s" % (t or "-"),
                           temp, CHAR, "WriteValue", "aya{sv}",
                           [b"\x00", opts])
        await self.row(st, "WriteValue the CCCD", cccd, DESC, "WriteValue",
                       "aya{sv}", [b"\x01\x00", {}])
        await self.row(st, "ReadValue the CCCD", cccd, DESC, "ReadValue",
                       "a{sv}", [{}])
        await self.row(st, "StartNotify", temp, CHAR, "StartNotify")
        await self.row(st, "StartNotify again", temp, CHAR, "StartNotify")
        await self.row(st, "AcquireNotify while notifying", temp, CHAR,
                       "AcquireNotify", "a{sv}", [{}])
        await self.row(st, "StopNotify", temp, CHAR, "StopNotify")
        await self.row(st, "StopNotify again", temp, CHAR, "StopNotify")
        await self.row(st, "StartNotify on a char without notify", reboot,
                       CHAR, "StartNotify")
        await self.row(st, "AcquireNotify", temp, CHAR, "AcquireNotify",
                       "a{sv}", [{}])
        await self.row(st, "AcquireWrite without write-without-response",
                       temp, CHAR, "AcquireWrite", "a{sv}", [{}])
        await self.row(st, "AcquireWrite", reboot, CHAR, "AcquireWrite",
                       "a{sv}", [{}])
        for p in ("Value", "MTU", "Handle", "NotifyAcquired", "Notifying"):
            await self.row(st, "Get Temperature %s" % p, temp, PROPS, "Get",
                           "ss", [CHAR, p])
        await self.row(st, "Get reboot char WriteAcquired", reboot, PROPS,
                       "Get", "ss", [CHAR, "WriteAcquired"])
        await self.row(st, "GetAll GattCharacteristic1", temp, PROPS,
                       "GetAll", "s", [CHAR])
        await self.row(st, "GetAll GattService1", temp.rsplit("/", 1)[0],
                       PROPS, "GetAll", "s", ["org.bluez.GattService1"])
        await self.row(st, "GetAll GattDescriptor1", cccd, PROPS, "GetAll",
                       "s", [DESC])

        st = "disconnected"
        await self.row(st, "Disconnect", self.dev, DEVICE, "Disconnect")
        if await self.get(self.dev, DEVICE, "Connected"):
            await self.wait("Connected=False")
        await self.row(st, "ReadValue while disconnected", temp, CHAR,
                       "ReadValue", "a{sv}", [{}])
        await self.row(st, "StartNotify while disconnected", temp, CHAR,
                       "StartNotify")
        await self.row(st, "StopNotify while disconnected", temp, CHAR,
                       "StopNotify")
        await self.row(st, "WriteValue while disconnected", reboot, CHAR,
                       "WriteValue", "aya{sv}", [b"\x00", {}])
        await self.row(st, "Get Temperature Value", temp, PROPS, "Get", "ss",
                       [CHAR, "Value"])

        st = "removed"
        await self.row(st, "RemoveDevice", HCI, ADAPTER, "RemoveDevice", "o",
                       [self.dev])
        if self.dev in await self.objects():
            await self.wait("device-removed")
        await self.row(st, "RemoveDevice again", HCI, ADAPTER,
                       "RemoveDevice", "o", [self.dev])
        await self.row(st, "Connect on the removed device", self.dev, DEVICE,
                       "Connect")
        out["rows"] = self.rows
        return out


async def run(a):
    bus = await MessageBus(bus_type=BusType.SYSTEM,
                           negotiate_unix_fd=True).connect()
    out = await Probe(bus, a.address).run()
    bus.disconnect()
    return out


# ---- comparing --------------------------------------------------------------

# (section, regex on the differing line, why the simulator may differ[,
# regex on how the two differ: only that answer is explained]):
# doc/simulator.md, "Known differences". Anything else is unexplained.
EXPLAINED = [
    ("managed|introspect", r"^(adapter|device|service|char|desc|facts): "
     r".*(180a|Modalias|2b29|2b2a|2a50)", "the real tier's DUT is "
     "bluetoothd itself (its 0x180A Device Information with PnP ID, and "
     "0x1801's Client Features/Database Hash); a NimBLE/Zephyr DUT has "
     "neither"),
    ("managed|introspect", r"^other: ", "bondcheck's own control object "
     "/org/bondcheck/sim (org.bondcheck.Sim1), simulator only by design"),
    ("call", r"^adapter: (GattManager1|LEAdvertisingManager1|"
     r"ProfileManager1)\.", "the simulator has no peripheral role and no "
     "profiles: these managers answer org.bluez.Error.NotSupported"),
    ("call", r"^disconnected: ReadValue while disconnected$",
     "real bluetoothd 5.66 may say Connected=false before its ATT channel "
     "is torn down; the first read in between goes to the dying channel "
     "and fails with ATT error 0x0e (seen once in CI, 2026-12-02); once "
     "the channel is gone it answers \"Not connected\" as the simulator "
     "does",
     r'^real org\.bluez\.Error\.Failed "Operation failed with ATT error: '
     r'0x0e" / simulator org\.bluez\.Error\.Failed "Not connected"$'),
]

# Differences being fixed in the simulator: (section, regex, the gap's
# number in the note that measured it). Reported as known gaps, not
# failures, until the fix lands; each fix removes its lines here. Issue 16
# fixed every gap of ../shared/notes/third-party-clients-vs-sim.md.
GAPS = []


def flatten(section, d):
    out = set()
    for k, lines in d.items():
        for l in lines:
            out.add("%s: %s" % (k, l))
    return out


def compare(real, sim):
    rows = []
    for section in ("introspect", "managed"):
        r, s = flatten(section, real[section]), flatten(section, sim[section])
        for line in sorted(r | s):
            if line in r and line in s:
                continue
            rows.append((section, line, "real only" if line in r
                         else "simulator only"))
    sr = {(x["state"], x["call"]): x["result"] for x in sim["rows"]}
    rr = {(x["state"], x["call"]): x["result"] for x in real["rows"]}
    same = 0
    for key in [(x["state"], x["call"]) for x in real["rows"]] + \
            [k for k in sr if k not in rr]:
        a, b = rr.get(key, "(not run)"), sr.get(key, "(not run)")
        if a == b:
            same += 1
        else:
            rows.append(("call", "%s: %s" % key, "real %s / simulator %s" %
                         (a, b)))
    out = []
    for section, line, how in rows:
        why = None
        for sec, pat, reason, *answer in EXPLAINED:
            if re.search(sec, section) and re.search(pat, line) and \
                    all(re.search(x, how) for x in answer):
                why = reason
                break
        for sec, pat, gap in GAPS if not why else []:
            # the real side's counterpart of an unnamed argument list
            text = line if section != "introspect" or " -" in line or \
                how != "real only" else unnamed(line)
            if re.search(sec, section) and re.search(pat, text):
                why = "known gap %d, being fixed (issue 16)" % gap
                break
        out.append((section, line, how, why))
    return out, same, len(rr)


def unnamed(line):
    """An Introspect line with its argument names dropped."""
    m = re.match(r"^(.* (?:method|signal) \w+)\((.*)\)$", line)
    if not m or not m.group(2):
        return line
    args = [" ".join(a.split(" ")[:-1] + ["-"])
            for a in m.group(2).split(", ")]
    return "%s(%s)" % (m.group(1), ", ".join(args))


def cmd_compare(a):
    real, sim = json.load(open(a.real)), json.load(open(a.sim))
    rows, same, n = compare(real, sim)
    unexplained = [r for r in rows if not r[3]]
    gaps = [r for r in rows if r[3] and r[3].startswith("known gap")]
    md = ["| section | line | where | why |", "| --- | --- | --- | --- |"]
    for section, line, how, why in rows:
        md.append("| %s | %s | %s | %s |" % (section, line.replace("|", "\\|"),
                                             how.replace("|", "\\|"),
                                             why or "**UNEXPLAINED**"))
    if a.md:
        with open(a.md, "w") as f:
            f.write("\n".join(md) + "\n")
    for section, line, how, why in rows:
        tag = "UNEXPLAINED" if not why else ("known gap  " if
                                             why.startswith("known gap")
                                             else "explained  ")
        print("probe: %s %-10s %s: %s" % (tag, section, line, how))
    print("probe: %d call rows, %d identical; %d differences: %d explained, "
          "%d known gaps, %d unexplained" % (n, same, len(rows),
                                             len(rows) - len(gaps) -
                                             len(unexplained), len(gaps),
                                             len(unexplained)))
    return 1 if unexplained else 0


def cmd_self_test(a):
    """EXPLAINED on made-up probes: a race's answer is explained only in
    its row and only with the answer measured."""
    NC = 'org.bluez.Error.Failed "Not connected"'
    ATT = 'org.bluez.Error.Failed "Operation failed with ATT error: 0x0e"'

    def probe(rows):
        return {"introspect": {}, "managed": {}, "rows": [
            {"state": st, "call": c, "result": r} for st, c, r in rows]}

    def unexplained(st, call, real, sim):
        rows, _, _ = compare(probe([(st, call, real)]),
                             probe([(st, call, sim)]))
        return [r for r in rows if not r[3]]
    read = ("disconnected", "ReadValue while disconnected")
    cases = [
        (unexplained(*read, ATT, NC), False),
        (unexplained(*read, NC, NC), False),
        (unexplained(*read, ATT.replace("0x0e", "0x0f"), NC), True),
        (unexplained(*read, "ok", NC), True),
        (unexplained(*read, ATT, "ok"), True),
        (unexplained("disconnected", "StartNotify while disconnected", ATT,
                     NC), True),
        (unexplained("connected", "ReadValue while disconnected", ATT, NC),
         True),
        (unexplained("adapter", "ProfileManager1.RegisterProfile", "ok",
                     'org.bluez.Error.NotSupported "x"'), False),
    ]
    bad = [n for n, (rows, want) in enumerate(cases) if bool(rows) != want]
    print("probe: self-test %s (%d cases)" % (
        "FAILED: %s" % bad if bad else "ok", len(cases)))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--address", required=True)
    r.add_argument("--out", default="-")
    c = sub.add_parser("compare")
    c.add_argument("real")
    c.add_argument("sim")
    c.add_argument("--md", default="")
    sub.add_parser("self-test")
    a = ap.parse_args()
    if a.cmd == "compare":
        return cmd_compare(a)
    if a.cmd == "self-test":
        return cmd_self_test(a)
    out = asyncio.run(run(a))
    text = json.dumps(out, indent=1, sort_keys=True) + "\n"
    if a.out == "-":
        sys.stdout.write(text)
    else:
        with open(a.out, "w") as f:
            f.write(text)
    return 0 if "error" not in out else 1


if __name__ == "__main__":
    sys.exit(main())
