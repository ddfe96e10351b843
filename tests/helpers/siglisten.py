#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A signal listener for the D-Bus policy tests (check_daemon.c).

Prints "ready" once its match rule (every signal) is in place at the bus,
then one line "signal IFACE.MEMBER PATH" for every signal it receives, and
"barrier" (then exits) when a test.policy.Barrier signal arrives. The test sends the barrier after everything it wants to know about:
the bus delivers in order, so what was not printed by then was not
delivered. Gives up after 60 s.
"""
import os
import sys

import dbus
import dbus.mainloop.glib
from gi.repository import GLib

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.bus.BusConnection(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
loop = GLib.MainLoop()


def any_signal(*args, **kw):
    if kw["interface"] == "test.policy" and kw["member"] == "Barrier":
        print("barrier", flush=True)
        loop.quit()
        return
    print("signal %s.%s %s" % (kw["interface"], kw["member"], kw["path"]),
          flush=True)


bus.add_signal_receiver(any_signal, interface_keyword="interface",
                        member_keyword="member", path_keyword="path")
print("ready", flush=True)
GLib.timeout_add_seconds(60, loop.quit)
loop.run()
sys.exit(0)
