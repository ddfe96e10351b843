#!/bin/bash
# SPDX-License-Identifier: MIT
# The bondcheck soak cycle as a shell loop around bluetoothctl (one
# interactive bluetoothctl as a coprocess, each command followed by a wait
# for the line that says it is done), for make bench to compare: pair once,
# then N times: reboot the DUT (write 01 to its reboot characteristic),
# wait for the link to drop, scan until it advertises, connect, wait for
# ServicesResolved, read the encrypted characteristic.
#
# Usage: btctl_cycle.sh ADDRESS CYCLES     (on $DBUS_SYSTEM_BUS_ADDRESS)
# Prints one line: "<ms per cycle> <cycles>".
set -u
addr=$1
cycles=$2
dev=/org/bluez/hci0/dev_${addr//:/_}

coproc BT { exec bluetoothctl 2>&1; }

# send a command; wait (10 s at most) for output matching $2
cmd() {
	printf '%s\n' "$1" >&"${BT[1]}"
	[ -z "${2:-}" ] && return 0
	local line
	while IFS= read -r -t 10 line <&"${BT[0]}"; do
		case "$line" in *$2*) return 0 ;; esac
	done
	echo "btctl_cycle: no '$2' after '$1'" >&2
	exit 1
}

# it registers its own agent once it sees bluetoothd; make it Just Works,
# so that no passkey waits at a prompt
cmd "" "Agent registered"
cmd "agent off" "Agent unregistered"
cmd "agent NoInputNoOutput" "Agent registered"
cmd "scan on" "Device $addr"
cmd "scan off" "Discovery stopped"
cmd "pair $addr" "Pairing successful"
cmd "menu gatt"
t0=$(date +%s%N)
for ((i = 0; i < cycles; i++)); do
	cmd "select-attribute $dev/service000e/char000f" "char000f"
	cmd "write 0x01" "Connected: no"
	cmd "back"
	cmd "scan on" "RSSI"
	cmd "scan off" "Discovery stopped"
	cmd "connect $addr" "ServicesResolved: yes"
	cmd "menu gatt"
	cmd "select-attribute $dev/service000a/char000b" "char000b"
	cmd "read" "Value"
done
t1=$(date +%s%N)
cmd "back"
cmd "quit"
awk -v a="$t0" -v b="$t1" -v n="$cycles" \
	'BEGIN { printf "%.3f %d\n", (b - a) / 1e6 / n, n }'
