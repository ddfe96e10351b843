#!/bin/sh
# SPDX-License-Identifier: MIT
# PID 1 of the real-BlueZ guest (tests/vm/run builds it into the initramfs).
# Brings up the kernel's Bluetooth stack, dbus-daemon, btvirt (hci0 for
# bondcheck, hci1 for the DUT, hci2 for a second central) and bluetoothd,
# runs every line of
# /etc/bondcheck/plan.tsv, and sends /results back over the second serial
# port as base64 of a tar. Powers off when done, whatever happened.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/opt/bondcheck
/bin/busybox --install -s /bin

say() { echo "guest: $*"; }
die() { say "FAILED: $*"; finish 1; }

finish() {
	echo "$1" > /results/guest-status
	dmesg > /results/dmesg.txt 2>&1
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
say "up, kernel $(uname -r)"

# the modules, in dependency order (the harness computed it)
while read -r m; do
	insmod "/lib/modules/$m" || die "insmod $m"
done < /etc/bondcheck/modules.order
say "modules loaded"

mkdir -p /run/dbus
dbus-daemon --config-file=/etc/dbus-1/system.conf --fork --nopidfile ||
	die "dbus-daemon"
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/dbus/system_bus_socket

# three LE controllers on one bluetoothd: hci0 and hci2 are centrals, hci1
# the DUT; bluetoothd powers them (AutoEnable)
btvirt -L -l3 > /results/btvirt.log 2>&1 &
/usr/libexec/bluetooth/bluetoothd -n -f /etc/bluetooth/main.conf > /results/bluetoothd.log 2>&1 &
say "bluetoothd $(/usr/libexec/bluetooth/bluetoothd --version), btvirt started"
if [ -e /etc/bondcheck/all-hci ]; then
	btmon -w /results/all.btsnoop > /results/all.txt 2>&1 &
	allmon=$!
fi

# plan.tsv: NAME|SCENARIO|DUT-FAULTS|BONDCHECK-ARGS|MODE
# MODE "nohci": bondcheck without CAP_NET_RAW (no HCI monitor channel);
# "btctl": see below; "bridge:TRANSPORT:KIND:DUT": the DUT is a stack of
# its own behind bondcheck-bridge on hci1 (see bridge_dut below);
# "centrals:hci0,hci2": the scenario's centrals on these adapters, in order
n=0

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
# stays open for it (and not the plan this loop reads)
mgmt_info() {
	sleep 3 | timeout 3 btmgmt --index 0 info > "$1" 2>&1
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
		printf '%s\t%s\n' "$name" "dut-failed" >> /results/summary.tsv
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
		if [ "$mode" = "probe" ]; then
			python3 /opt/bondcheck/conformance/probe.py run \
				--address "$addr" --out /results/bleak/probe.json \
				> "/results/$name.out" 2>&1
		elif [ "$mode" = "bleak" ]; then
			out="/results/bleak/${name#bleak-}.bleak.jsonl"
			python3 /opt/bondcheck/conformance/conformance.py \
				run-bleak --address "$addr" --out "$out" \
				> "/results/$name.out" 2>&1
		else
			BONDCHECK_BLUEZ_SCRIPTS=/opt/bondcheck/bluez-test \
			python3 /opt/bondcheck/conformance/conformance.py \
				run-scripts --address "$addr" \
				--out /results/bleak/scripts \
				> "/results/$name.out" 2>&1
		fi
		status=$?
		say "[$n] $name: exit $status"
		printf '%s\t%s\n' "$name" "$status" >> /results/summary.tsv
		kill "$dut" 2>/dev/null
		wait "$dut"
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
	printf '%s\t%s\n' "$name" "$status" >> /results/summary.tsv
	kill "$dut" 2>/dev/null
	wait "$dut"
done < /etc/bondcheck/plan.tsv

say "all $n runs done"
[ -n "$allmon" ] && kill -INT "$allmon"; [ -n "$allmon" ] && { wait "$allmon"; echo "btmon exit $?" >> /results/all.txt; }
finish 0
