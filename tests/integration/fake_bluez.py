#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A deliberately broken org.bluez for bondcheck's tests.

Usage: fake_bluez.py MODE   (on the system bus, i.e. $DBUS_SYSTEM_BUS_ADDRESS)

Modes:
  bad-objects    GetManagedObjects answers with a string instead of a{oa{sa{sv}}}
  no-reply       GetManagedObjects never answers
  bad-signals    a sane adapter; org.bondcheck.Test.Emit() sends signals of the
                 wrong shape, then one good PropertiesChanged
  missing-props  an adapter without Address and a device with nothing but
                 Address, both of which a client must survive
"""
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

OM = 'org.freedesktop.DBus.ObjectManager'
PROPS = 'org.freedesktop.DBus.Properties'
ADAPTER = 'org.bluez.Adapter1'
DEVICE = 'org.bluez.Device1'


class Root(dbus.service.Object):
    def __init__(self, bus, mode):
        super().__init__(bus, '/')
        self.mode = mode

    @dbus.service.method(OM, in_signature='', out_signature='a{oa{sa{sv}}}',
                         async_callbacks=('ok', 'err'))
    def GetManagedObjects(self, ok, err):
        adapter = {ADAPTER: {'Powered': dbus.Boolean(True),
                             'Address': '00:01:02:03:04:05'}}
        if self.mode == 'no-reply':
            return None
        if self.mode == 'missing-props':
            adapter = {ADAPTER: {'Powered': dbus.Boolean(True)}}
            dev = {DEVICE: {'Address': 'C0:FF:EE:00:13:42',
                            'RSSI': dbus.Int16(-40)}}
            return ok(dbus.Dictionary({
                dbus.ObjectPath('/org/bluez/hci0'): adapter,
                dbus.ObjectPath('/org/bluez/hci0/dev_C0_FF_EE_00_13_42'): dev,
            }, signature='oa{sa{sv}}'))
        return ok(dbus.Dictionary({dbus.ObjectPath('/org/bluez/hci0'): adapter},
                                  signature='oa{sa{sv}}'))

    @dbus.service.signal(OM, signature='s')
    def InterfacesAdded(self, wrong):
        pass

    @dbus.service.signal(OM, signature='o')
    def InterfacesRemoved(self, wrong):
        pass


class Adapter(dbus.service.Object):
    @dbus.service.signal(PROPS, signature='sa{sv}as')
    def PropertiesChanged(self, iface, changed, invalidated):
        pass


class Device(dbus.service.Object):
    @dbus.service.signal(DEVICE, signature='u')
    def Disconnected(self, wrong):
        pass


class Test(dbus.service.Object):
    def __init__(self, bus, root, adapter, device):
        super().__init__(bus, '/org/bondcheck/test')
        self.root, self.adapter, self.device = root, adapter, device

    @dbus.service.method('org.bondcheck.Test', in_signature='', out_signature='')
    def Emit(self):
        self.root.InterfacesAdded('no object path here')
        self.root.InterfacesRemoved(dbus.ObjectPath('/org/bluez/hci0'))
        self.device.Disconnected(dbus.UInt32(5))
        self.adapter.PropertiesChanged(ADAPTER, {'Powered': dbus.Boolean(False)},
                                       dbus.Array([], signature='s'))


def main():
    mode = sys.argv[1]
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    if mode == 'bad-objects':
        # Answer GetManagedObjects with a body of the wrong shape, by hand.
        def filt(conn, msg):
            if (msg.get_type() == 1 and msg.get_member() == 'GetManagedObjects'):
                reply = dbus.lowlevel.MethodReturnMessage(msg)
                reply.append('not a dictionary', signature='s')
                conn.send_message(reply)
                return dbus.lowlevel.HANDLER_RESULT_HANDLED
            return dbus.lowlevel.HANDLER_RESULT_NOT_YET_HANDLED
        bus.add_message_filter(filt)
        name = dbus.service.BusName('org.bluez', bus)  # noqa: F841
    else:
        name = dbus.service.BusName('org.bluez', bus)  # noqa: F841
        root = Root(bus, mode)
        adapter = Adapter(bus, '/org/bluez/hci0')
        device = Device(bus, '/org/bluez/hci0/dev_C0_FF_EE_00_13_42')
        Test(bus, root, adapter, device)
    GLib.MainLoop().run()


if __name__ == '__main__':
    main()
