#!/bin/sh
# SPDX-License-Identifier: MIT
# PID 1 of the real-BlueZ guest (tests/vm/run builds it into the initramfs).
# Brings up the kernel's Bluetooth stack, dbus-daemon, btvirt (hci0 for
# bondcheck, hci1 for the DUT, hci2 for a second central) and bluetoothd,
# runs every line of its plan (/etc/bondcheck/plan-G.tsv: tests/vm/run
# boots several guests side by side from one initramfs, each with
# bondcheck.guest=G on its command line and its share of the lines), and
# sends /results back over the second serial port as base64 of a tar: the
# lines' files, and the guest's own (bluetoothd's log, dmesg, summary.tsv,
# status) in /results/guest-G. Powers off when done, whatever happened.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/opt/bondcheck
/bin/busybox --install -s /bin

# each line with the guest's uptime: where the tier's time goes
say() { read -r up _ < /proc/uptime; echo "guest: $up $*"; }
die() { say "FAILED: $*"; finish 1; }

finish() {
	if [ -n "$pyserver" ]; then
		printf 'quit\n' > /tmp/py.req
		wait "$pyserver"
	fi
	echo "$1" > "$gdir/status"
	dmesg > "$gdir/dmesg.txt" 2>&1
	cd /results && tar -cf - . | base64 > /dev/ttyS1
	echo "=== results sent ===" > /dev/ttyS1
	sync
	poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /tmp /run /results /var/lib/bluetooth
mount -t devpts devpts /dev/pts
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mount -t tmpfs results /results
mount -t tmpfs lib /var/lib/bluetooth
ln -s /proc/self/fd /dev/fd 2>/dev/null
G=1
for w in $(cat /proc/cmdline); do
	case "$w" in
	bondcheck.guest=*) G=${w#bondcheck.guest=} ;;
	esac
done
gdir=/results/guest-$G
mkdir -p "$gdir"
say "guest $G up, kernel $(uname -r)"

# the modules, in dependency order (the harness computed it)
while read -r m; do
	insmod "/lib/modules/$m" || die "insmod $m"
done < /etc/bondcheck/modules.order
say "modules loaded"

mkdir -p /run/dbus
dbus-daemon --config-file=/etc/dbus-1/system.conf --fork --nopidfile ||
	die "dbus-daemon"
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/dbus/system_bus_socket

# --all-hci: one btmon trace of everything (HCI, mgmt, and bluetoothd's
# debug log, which it sends to the monitor channel with -d), from the
# start; the system bus's traffic; Bleak's debug log in its lines' output
debug=""
if [ -e /etc/bondcheck/all-hci ]; then
	btmon -w "$gdir/all.btsnoop" > "$gdir/all.txt" 2>&1 &
	allmon=$!
	dbus-monitor --system > "$gdir/dbus.txt" 2>&1 &
	debug="-d"
	export BLEAK_LOGGING=1
fi
# three LE controllers on one bluetoothd: hci0 and hci2 are centrals, hci1
# the DUT; bluetoothd powers them (AutoEnable)
btvirt -L -l3 > "$gdir/btvirt.log" 2>&1 &
# shellcheck disable=SC2086
/usr/libexec/bluetooth/bluetoothd -n $debug -f /etc/bluetooth/main.conf > "$gdir/bluetoothd.log" 2>&1 &
say "bluetoothd $(/usr/libexec/bluetooth/bluetoothd --version), btvirt started"

# plan.tsv: NAME|SCENARIO|DUT-FAULTS|BONDCHECK-ARGS|MODE
# MODE "nohci": bondcheck without CAP_NET_RAW (no HCI monitor channel);
# "btctl": see below; "bridge:TRANSPORT:KIND:DUT": the DUT is a stack of
# its own behind bondcheck-bridge on hci1 (see bridge_dut below);
# "centrals:hci0,hci2": the scenario's centrals on these adapters, in order
n=0

# Python jobs (the conformance lines) run in one interpreter started once
# (tests/vm/pyserver.py: seconds per start under TCG): py_start, then
# py OUTPUT SCRIPT ARG... runs one as `python3 SCRIPT ARG... > OUTPUT 2>&1`
# would and prints its exit status. The waits are for the server's
# answer, with a timeout.
pyserver=""
export BONDCHECK_BLUEZ_SCRIPTS=/opt/bondcheck/bluez-test
# tests/vm/run --early-connect yes|no: the first-advertisement reconnect
if [ -e /etc/bondcheck/early-connect ]; then
	BONDCHECK_EARLY_CONNECT=$(cat /etc/bondcheck/early-connect)
	export BONDCHECK_EARLY_CONNECT
	say "BONDCHECK_EARLY_CONNECT=$BONDCHECK_EARLY_CONNECT"
fi
py_start() {
	[ -n "$pyserver" ] && return
	mkfifo /tmp/py.req
	python3 /opt/bondcheck/pyserver.py /tmp/py.req \
		> "$gdir/pyserver.log" 2>&1 &
	pyserver=$!
}
py() {
	out=$1
	shift
	rm -f /tmp/py.done
	mkfifo /tmp/py.done
	req=$(printf '%s\t%s\t%s' /tmp/py.done /dev/null "$out")
	for a in "$@"; do
		req=$(printf '%s\t%s' "$req" "$a")
	done
	timeout 120 sh -c 'printf "%s\n" "$1" > /tmp/py.req' - "$req" ||
		{ echo 125; return; }
	timeout 900 cat /tmp/py.done || echo 124
}

# The DUT behind bondcheck-bridge, as a shell command the bridge runs for
# every boot. "user": the user's firmware (tests/vm/run --dut-cmd, files
# in /opt/dut). "bluez": BlueZ itself as the firmware — the kernel's H4
# line discipline (btattach) on the bridge's pty, or a user channel made
# a kernel controller again (bondcheck-bridge relay), with bondcheck-vmdut
# as its GATT application on that controller, faults from boot 2 on.
bridge_dut() {
	case "$2" in
	user) cat /etc/bondcheck/dut-cmd ;;
	bluez)
		if [ "$1" = "h4-pty" ]; then
			printf '%s' 'btattach -B "$BONDCHECK_DUT_TTY" -P h4 & '
		else
			printf '%s' 'bondcheck-bridge relay & '
		fi
		printf '%s' 'exec bondcheck-vmdut --adapter "$BONDCHECK_DUT_ADDRESS" --boot "$BONDCHECK_DUT_BOOT"'
		printf ' %s' $3
		;;
	esac
}

# hci0's settings as btmgmt reads them. Its shell quits at the end of its
# stdin, before the kernel answers, if that comes at once: a pipe that
# stays open for it (and not the plan this loop reads), held by a sleep in
# the background so that the line waits for btmgmt's answer only, not for
# the sleep (3 s twice per line otherwise)
mgmt_info() {
	(sleep 3 &) | timeout 3 btmgmt --index "${2:-0}" info > "$1" 2>&1
}

# After every line: the centrals' controllers are powered for the next
# one, whatever the line did (a failed privacy change once left hci0 off,
# and every line after it failed with NotReady). One left off is powered
# on again and said: in the console, and in NAME.repowered, which the host
# reports as the line's problem.
repower() {
	for i in 0 2; do
		mgmt_info /tmp/hci.info "$i"
		grep -q '^[[:space:]]*current settings:.* powered' /tmp/hci.info &&
			continue
		say "[$n] $1: hci$i is left powered off: powering it on again"
		echo "hci$i" >> "/results/$1.repowered"
		(sleep 3 &) | timeout 3 btmgmt --index "$i" power on \
			>> "/results/$1.repowered" 2>&1
	done
}

while IFS="|" read -r name scn faults args mode; do
	[ -z "$name" ] && continue
	n=$((n + 1))
	say "[$n] $name: $scn faults=${faults:-none} $args"
	rm -f /tmp/ready
	mkfifo /tmp/ready
	dutargs=""
	for f in $faults; do
		case "$f" in
		io=*) dutargs="$dutargs --io ${f#io=}" ;;
		*) dutargs="$dutargs --fault $f" ;;
		esac
	done
	reboot=""
	case "$mode" in
	bridge:*)
		rest=${mode#bridge:}
		transport=${rest%%:*}
		rest=${rest#*:}
		kind=${rest%%:*}
		who=${rest#*:}
		# the bridge takes hci1 from bluetoothd and gives it back after
		bondcheck-bridge run --controller hci1 --transport "$transport" \
			--reboot-kind "$kind" --dut-dir /opt/dut \
			--dut-cmd "$(bridge_dut "$transport" "$who" "$dutargs")" \
			--ctl /run/bondcheck-bridge.sock \
			--dut-log "/results/$name.dut.log" \
			--trace "/results/$name.dut.btsnoop" \
			--ready-fifo /tmp/ready 2> "/results/$name.bridge.log" &
		dut=$!
		reboot="bondcheck-bridge reboot --ctl /run/bondcheck-bridge.sock $kind"
		# the scenario's reboots are of the bridge's kind
		args="$args --set REBOOT_KIND=$kind"
		;;
	*)
		# shellcheck disable=SC2086
		bondcheck-vmdut --adapter hci1 --ready-fifo /tmp/ready $dutargs \
			> "/results/$name.dut.log" 2>&1 &
		dut=$!
		;;
	esac
	ready=$(timeout 60 cat /tmp/ready)
	addr=${ready#ready }
	if [ -z "$addr" ] || [ "$addr" = "$ready" ]; then
		say "[$n] $name: the DUT never came up"
		printf '%s\t%s\n' "$name" "dut-failed" >> "$gdir/summary.tsv"
		kill "$dut" 2>/dev/null
		wait "$dut"
		continue
	fi
	# every run leaves its HCI trace beside its log (btsnoop, Wireshark)
	pre=""
	cap="--capture /results/$name.btsnoop"
	if [ "$mode" = "nohci" ]; then
		pre="/usr/bin/setpriv --inh-caps=-all --bounding-set=-net_raw --"
		cap=""
	fi
	# MODE "btctl" (make bench): bondcheck bonds (SCENARIO), then a shell
	# loop around bluetoothctl reconnects ARGS times, btmon capturing
	btctl=""
	if [ "$mode" = "btctl" ]; then
		btctl=$args
		args=""
		cap=""
	fi
	# MODE "bleak" / "scripts" / "probe" (the conformance suite): a third-party
	# client instead of bondcheck, on a host that has forgotten the DUT
	if [ "$mode" = "bleak" ] || [ "$mode" = "scripts" ] ||
	   [ "$mode" = "probe" ]; then
		mkdir -p /results/bleak
		dbus-send --system --print-reply --dest=org.bluez /org/bluez/hci0 \
			org.bluez.Adapter1.RemoveDevice \
			"objpath:/org/bluez/hci0/dev_$(echo "$addr" | tr : _)" \
			> /dev/null 2>&1
		py_start
		if [ "$mode" = "probe" ]; then
			status=$(py "/results/$name.out" \
				/opt/bondcheck/conformance/probe.py run \
				--address "$addr" --out /results/bleak/probe.json)
		elif [ "$mode" = "bleak" ]; then
			out="/results/bleak/${name#bleak-}.bleak.jsonl"
			status=$(py "/results/$name.out" \
				/opt/bondcheck/conformance/conformance.py \
				run-bleak --address "$addr" --out "$out")
		else
			status=$(py "/results/$name.out" \
				/opt/bondcheck/conformance/conformance.py \
				run-scripts --address "$addr" \
				--out /results/bleak/scripts)
		fi
		say "[$n] $name: exit $status"
		printf '%s\t%s\n' "$name" "$status" >> "$gdir/summary.tsv"
		kill "$dut" 2>/dev/null
		wait "$dut"
		repower "$name"
		continue
	fi
	# The DUT's agent stays bluetoothd's default agent (on its own board it
	# would have its own bluetoothd): bondcheck's agent answers the
	# requests of its own Pair() calls, as BlueZ gives them to the caller.
	# hci0's settings before and after, as btmgmt reads them: bondcheck's
	# own reading of its privacy is checked against them, and whether it
	# put the privacy back
	mgmt_info "/results/$name.mgmt-before.txt"
	adapters=hci0
	mons=""
	case "$mode" in
	centrals:*)
		# --capture records the first central's adapter; btmon records
		# each other one beside it (NAME.hciN.btsnoop)
		adapters=${mode#centrals:}
		for a in $(echo "${adapters#*,}" | tr , ' '); do
			btmon -i "$a" -w "/results/$name.$a.btsnoop" \
				> /dev/null 2>&1 &
			mons="$mons $!"
		done
		;;
	esac
	# shellcheck disable=SC2086
	$pre bondcheck run --no-default-agent -a "$adapters" -d "$addr" $cap \
		--log "/results/$name.jsonl" ${reboot:+--reboot-cmd "$reboot"} \
		$args "/opt/bondcheck/scenarios/$scn" \
		> "/results/$name.out" 2>&1
	status=$?
	mgmt_info "/results/$name.mgmt-after.txt"
	for m in $mons; do
		kill -INT "$m"
		wait "$m"
	done
	# the other centrals forget the DUT again: no bond or connection
	# attempt of theirs outlives the line
	case "$mode" in
	centrals:*)
		for a in $(echo "${adapters#*,}" | tr , ' '); do
			dbus-send --system --print-reply --dest=org.bluez \
				"/org/bluez/$a" org.bluez.Adapter1.RemoveDevice \
				"objpath:/org/bluez/$a/dev_$(echo "$addr" | tr : _)" \
				> /dev/null 2>&1
		done
		;;
	esac
	if [ -n "$btctl" ] && [ "$status" = 0 ]; then
		btmon -i hci0 -w "/results/$name.btsnoop" \
			> "/results/$name.btmon.txt" 2>&1 &
		mon=$!
		i=0
		while [ "$i" -lt "$btctl" ] && [ "$status" = 0 ]; do
			i=$((i + 1))
			echo "== cycle $i" >> "/results/$name.btctl.txt"
			bluetoothctl connect "$addr" \
				>> "/results/$name.btctl.txt" 2>&1 || status=$?
			bluetoothctl disconnect "$addr" \
				>> "/results/$name.btctl.txt" 2>&1 || status=$?
		done
		kill -INT "$mon"
		wait "$mon"
		say "[$n] $name: $i bluetoothctl connect/disconnect cycles"
	fi
	say "[$n] $name: exit $status: $(grep -E '^(PASSED|FAILED|ERROR|INTERRUPTED)' "/results/$name.out" | cut -c1-150)"
	printf '%s\t%s\n' "$name" "$status" >> "$gdir/summary.tsv"
	kill "$dut" 2>/dev/null
	wait "$dut"
	repower "$name"
done < "/etc/bondcheck/plan-$G.tsv"

say "all $n runs done"
[ -n "$allmon" ] && kill -INT "$allmon"; [ -n "$allmon" ] && { wait "$allmon"; echo "btmon exit $?" >> "$gdir/all.txt"; }
finish 0
