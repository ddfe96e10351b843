#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The bondcheck soak cycle as a Python user would write it with dbus-python
(Debian's python3-dbus) and a GLib main loop, for make bench to compare:
pair once, then N times: reboot the DUT (write 01 to its reboot
characteristic), wait for it to advertise again (discovery, RSSI), connect,
wait for ServicesResolved, read the encrypted characteristic.

Usage: py_cycle.py ADDRESS CYCLES    (on $DBUS_SYSTEM_BUS_ADDRESS)
Prints one line: "<ms per cycle> <cycles>".
"""
import sys
import time

import dbus
import dbus.mainloop.glib
from gi.repository import GLib

BLUEZ = "org.bluez"
DEV_IF = "org.bluez.Device1"
ADAPTER = "/org/bluez/hci0"
TEMP = "00002a6e-0000-1000-8000-00805f9b34fb"
REBOOT = "b0dc0002-0000-4000-8000-00805f9b34fb"

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SystemBus()
loop = GLib.MainLoop()
address = sys.argv[1]
cycles = int(sys.argv[2])
dev_path = ADAPTER + "/dev_" + address.replace(":", "_")
state = {"want": None}


def on_props(iface, changed, invalidated, path=None):
    want = state["want"]
    if want and path == dev_path and iface == DEV_IF:
        key, value = want
        if key in changed and (value is None or changed[key] == value):
            state["want"] = None
            loop.quit()


bus.add_signal_receiver(on_props, "PropertiesChanged",
                        "org.freedesktop.DBus.Properties", BLUEZ,
                        path_keyword="path")


def wait_for(key, value=None, timeout_s=10):
    state["want"] = (key, value)
    t = GLib.timeout_add(timeout_s * 1000, loop.quit)
    loop.run()
    GLib.source_remove(t)
    if state["want"]:
        sys.exit("timed out waiting for %s" % key)


def find_chrc(uuid):
    om = dbus.Interface(bus.get_object(BLUEZ, "/"),
                        "org.freedesktop.DBus.ObjectManager")
    for path, ifaces in om.GetManagedObjects().items():
        c = ifaces.get("org.bluez.GattCharacteristic1")
        if c and path.startswith(dev_path) and c["UUID"] == uuid:
            return dbus.Interface(bus.get_object(BLUEZ, path),
                                  "org.bluez.GattCharacteristic1")
    sys.exit("no characteristic " + uuid)


adapter = dbus.Interface(bus.get_object(BLUEZ, ADAPTER), "org.bluez.Adapter1")
adapter.SetDiscoveryFilter({"Transport": "le"})
adapter.StartDiscovery()
om = dbus.Interface(bus.get_object(BLUEZ, "/"),
                    "org.freedesktop.DBus.ObjectManager")
if dev_path not in om.GetManagedObjects():
    bus.add_signal_receiver(lambda p, i: loop.quit() if p == dev_path else
                            None, "InterfacesAdded",
                            "org.freedesktop.DBus.ObjectManager", BLUEZ)
    loop.run()
adapter.StopDiscovery()
device = dbus.Interface(bus.get_object(BLUEZ, dev_path), DEV_IF)
device.Pair()
props = dbus.Interface(bus.get_object(BLUEZ, dev_path),
                       "org.freedesktop.DBus.Properties")
if not props.Get(DEV_IF, "ServicesResolved"):
    wait_for("ServicesResolved", True)
temp = find_chrc(TEMP)
temp.ReadValue({})

t0 = time.monotonic()
for i in range(cycles):
    find_chrc(REBOOT).WriteValue([dbus.Byte(1)], {})
    if props.Get(DEV_IF, "Connected"):
        wait_for("Connected", False)
    adapter.SetDiscoveryFilter({"Transport": "le"})
    adapter.StartDiscovery()
    wait_for("RSSI")
    adapter.StopDiscovery()
    device.Connect()
    if not props.Get(DEV_IF, "ServicesResolved"):
        wait_for("ServicesResolved", True)
    find_chrc(TEMP).ReadValue({})
elapsed = time.monotonic() - t0
device.Disconnect()
print("%.3f %d" % (elapsed * 1000 / cycles, cycles))
