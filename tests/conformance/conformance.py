#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""tests/conformance/conformance.py: third-party clients against a BlueZ.

Debian's Bleak (bleak-client.py) and BlueZ's own test scripts (Debian's
bluez-test-scripts) run against the simulator, for the healthy DUT and for
every fault, and their outcomes are held against one table of what real
bluetoothd 5.66 gives (CASES and SCRIPT_ROWS below; measured in the QEMU
guest, ../shared/notes/third-party-clients-vs-sim.md). The same Bleak
script runs in the real-BlueZ tier (tests/vm/run) for every case the real
DUT can play; that tier feeds its outcomes back through `check` and the two
tables must agree.

  conformance.py sim --build DIR [--case NAME,...] [--jobs N] [--no-scripts]
      start `bondcheck sim` (a private bus + bondcheck-sim) per case, run
      the Bleak script, compare; then the test-script rows (healthy DUT).
      `--case scripts`: only those; `--case probe`: the D-Bus probe
      (probe.py) against the one recorded on real 5.66; `--case rig`:
      the real tier's retry of Bleak's first connect (--retry-rig-drop) on
      a DUT that drops that link (fault drop-during-discovery).
  conformance.py list            the case names, one a line
  conformance.py vm-plan         the cases the real tier plays (TSV)
  conformance.py check DIR       compare outcome files NAME.bleak.jsonl in
      DIR (from the guest) with the table; exit 1 on a difference.

Timing bounds are upper bounds only, generous for a loaded machine; no test
here asserts that two things overlapped. Exit status: 0 all as expected,
1 a difference (printed with both sides), 2 usage, 3 environment.
"""
import argparse
import concurrent.futures
import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3"
SCRIPTS = os.environ.get("BONDCHECK_BLUEZ_SCRIPTS",
                         "/usr/share/doc/bluez-test-scripts/examples")
DUT = "C0:FF:EE:00:13:42"
# The simulator's delays x 0.1: a boot is 150 ms, a pairing 30 ms. Bleak's
# own timeouts are wall-clock and the same on both sides.
TIME_SCALE = "0.1"
SEED = "1"
TIMEOUT = 6.0          # Bleak's scan and connect timeouts (both sides)
BLEAK_ARGS = ["--scan-timeout", str(TIMEOUT), "--connect-timeout",
              str(TIMEOUT), "--notify-timeout", "10", "--drop-timeout",
              "10"]

OPS_OK = ["discover", "connect", "services", "pair", "read", "notify",
          "write-reboot", "link-drop", "wait-back", "reconnect",
          "read-after-reconnect", "notify-after-reconnect", "disconnect",
          "unpair"]
AFTER = ["read-after-reconnect", "notify-after-reconnect", "disconnect"]


def fails(first, rescan="ok", again=None, back="ok"):
    """Expected ops when the first reconnect fails with @first; the scan
    before it gives @back, the rescan @rescan and the new client's connect
    @again (default @first)."""
    seq = [(op, "ok") for op in OPS_OK[:8]] + [("wait-back", back),
                                               ("reconnect", first),
                                               ("rescan", rescan)]
    if rescan != "ok":
        seq.append(("reconnect-new-client", "skipped"))
    else:
        again = again or first
        seq.append(("reconnect-new-client", again))
        if again == "ok":
            seq += [(op, "ok") for op in AFTER]
        else:
            seq.append(("read-after-reconnect", "skipped"))
    return seq + [("unpair", "ok")]


HEALTHY = [(op, "ok") for op in OPS_OK]
DROPS = fails("BleakError")                   # Connect ok, then the drop
ABORT_REMOTE = fails("BleakDBusError:org.bluez.Error.Failed:"
                     "le-connection-abort-by-remote")
GONE = fails("TimeoutError", rescan="not-found", back="not-found")

# name, simulator faults, the real DUT's faults (None: bondcheck-vmdut
# cannot play it; NIO is added: see below), expected ops, where the real
# outcome comes from, and
# the note's gap number while the simulator still differs (an expected
# failure on the simulator side: it must fail as described, and its
# passing is reported so the mark goes)
# The real DUT runs with NoInputNoOutput: Bleak bonds Just Works, and a
# DisplayYesNo vmdut then asks for MITM security on every reconnect, which
# the kernel answers with a new pairing that fails about one time in two
# (doc/simulator.md); the simulator's DUT does not ask.
NIO = "io=NoInputNoOutput"

CASES = [
    ("healthy", [], "", HEALTHY, "measured", None),
    # the DUT's GATT database as a NimBLE/Zephyr DUT (and bluetoothd as
    # the real DUT) exposes it: 0x1801 Generic Attribute among the services
    ("gatt-services", [], "", [(op, "ok+1801" if op == "services" else o)
                               for op, o in HEALTHY], "measured", None),
    ("lose-bond", ["lose-bond-on-reboot"], "lose-bond-on-reboot", DROPS,
     "measured (BleakError in < 1 s: some Connect() succeed, then drop)",
     None),
    ("key-lookup-mismatch", ["--privacy=on", "key-lookup-mismatch"], None,
     DROPS, "same LTK negative reply as a lost bond, to an RPA central "
     "(a public one finds its key)", None),
    ("lose-bond-then-drops", ["lose-bond-on-reboot",
                              "connect-succeeds-then-drops"], None, DROPS,
     "one of the two measured outcomes, forced", None),
    ("terminate-on-encrypt", ["lose-bond-on-reboot", "terminate-on-encrypt"],
     None, ABORT_REMOTE, "source: 0x13 -> ECONNRESET -> "
     "le-connection-abort-by-remote; Bleak retries only ...-by-local", None),
    ("no-advertise", ["no-advertise-after-reboot"],
     "no-advertise-after-reboot", GONE, "measured", None),
    ("slow-boot", ["slow-boot=5s"], "slow-boot=2s", HEALTHY, "measured",
     None),
    # boots longer than Bleak waits, twice: the scan for it and the first
    # connect time out (6 s each), a rescan finds it at 15 s, a new client
    # connects (150 s x 0.1 = 15 s; real 15 s). A connect pending while
    # the DUT comes back is left out: in the QEMU rig it races vmdut's
    # re-announcing of its advertisement
    ("slow-boot-long", ["slow-boot=150s"], "slow-boot=15s",
     fails("TimeoutError", again="ok", back="not-found"), "measured", None),
    ("rotate-identity", ["rotate-identity-on-reboot"], None, GONE,
     "the old address never advertises again (as no-advertise)", None),
    ("forget-cccd", ["forget-cccd-on-reboot"], None, HEALTHY,
     "Bleak's start_notify rewrites the CCCD", None),
    ("repair-on-reconnect", ["repair-on-reconnect"], None, HEALTHY,
     "re-pairs Just Works (no agent)", None),
    ("bond-table-full", ["bond-table-full=1"], None, HEALTHY,
     "no other central bonds", None),
    ("bluez-5.64", ["bluez-version=5.64"], None, HEALTHY,
     "Bleak does not use Bonded", None),
    ("bluez-5.83", ["bluez-version=5.83"], None, HEALTHY,
     "Bleak 0.20 ignores Disconnected", None),
    ("connect-succeeds-then-drops", ["connect-succeeds-then-drops"], None,
     HEALTHY, "acts only when the key is lost", None),
]

# Cases the real tier judges on another case's run: the same DUT and the
# same client steps, held against their own row (gatt-services is the
# service list of the healthy run), so the client runs once for both
VM_SAME_RUN = {"gatt-services": "healthy"}


def vm_cases():
    """The cases the real tier runs the Bleak script for."""
    return [c for c in CASES if c[2] is not None and c[0] not in VM_SAME_RUN]


# Upper bounds (ms) per outcome: an op that fails fast must fail before
# Bleak's own timeout; one that times out does so at it.
BOUND_MS = {"ok": 25000, "skipped": 1000, "not-found": TIMEOUT * 1000 + 8000,
            "TimeoutError": TIMEOUT * 1000 + 8000}
BOUND_FAST_MS = TIMEOUT * 1000 - 500

# BlueZ's test scripts, on the healthy DUT after discovery: name, argv
# (ADDR: the DUT), stdin, expected exit status, regexes the output must
# hold (!re: must not hold), the note's gap while the simulator differs
SCRIPT_ROWS = [
    # first: real bluetoothd forgets a device that is neither paired nor
    # connected 30 s after discovery (TemporaryTimeout); pairing keeps it
    # pairs with its own agent: numeric comparison, a random number
    ("simple-agent-pair", ["simple-agent", "hci0", "ADDR"], "yes\n", 0,
     [r"RequestConfirmation \(\S+, \d+\)", r"Device paired",
      r"!RequestConfirmation \(\S+, 123456\)"], None),
    ("adapter-address", ["test-adapter", "address"], None, 0,
     [r"^([0-9A-F]{2}:){5}[0-9A-F]{2}$"], None),
    ("adapter-name", ["test-adapter", "name"], None, 0, [r"\S"], None),
    ("adapter-list", ["test-adapter", "list"], None, 0,
     [r"Address", r"Alias", r"Class", r"Discoverable", r"DiscoverableTimeout",
      r"Discovering", r"Modalias", r"Name", r"Pairable", r"PairableTimeout",
      r"Powered", r"Roles", r"UUIDs", r"UUIDs.*0000180[01]-"], None),
    ("adapter-alias-set", ["test-adapter", "alias", "conformance"], None, 0,
     [], None),
    ("adapter-alias-get", ["test-adapter", "alias"], None, 0,
     [r"^conformance$"], None),
    ("adapter-powered", ["test-adapter", "powered"], None, 0, [r"^1$"],
     None),
    ("adapter-pairable", ["test-adapter", "pairable"], None, 0, [r"^[01]$"],
     None),
    ("adapter-discoverable", ["test-adapter", "discoverable"], None, 0,
     [r"^[01]$"], None),
    ("adapter-discoverabletimeout-set",
     ["test-adapter", "discoverabletimeout", "170"], None, 0, [], None),
    ("adapter-discoverabletimeout-get",
     ["test-adapter", "discoverabletimeout"], None, 0, [r"^170$"], None),
    ("adapter-pairabletimeout-set",
     ["test-adapter", "pairabletimeout", "0"], None, 0, [], None),
    ("list-devices", ["list-devices"], None, 0,
     [r"ADDR", r"Connected", r"Paired", r"!AdvertisingFlags"], None),
    ("device-list", ["test-device", "list"], None, 0, [r"ADDR"], None),
    ("device-name", ["test-device", "name", "ADDR"], None, 0, [r"\S"], None),
    ("device-alias", ["test-device", "alias", "ADDR", "dut"], None, 0, [],
     None),
    ("device-trusted", ["test-device", "trusted", "ADDR", "yes"], None, 0,
     [], None),
    ("device-blocked", ["test-device", "blocked", "ADDR", "no"], None, 0,
     [], None),
    ("device-class", ["test-device", "class", "ADDR"], None, 1,
     [r"org\.freedesktop\.DBus\.Error\.InvalidArgs: No such property "
      r"'Class'"], None),
    ("device-services", ["test-device", "services", "ADDR"], None, 1,
     [r"Unknown command"], None),
    ("device-disconnect", ["test-device", "disconnect", "ADDR"], None, 0, [],
     None),
    ("device-connect", ["test-device", "connect", "ADDR"], None, 0, [],
     None),
    ("example-gatt-client", ["example-gatt-client"], None, 1,
     [r"No Heart Rate Service found"], None),
    ("get-managed-objects", ["get-managed-objects"], None, 0,
     [r"org\.bluez\.AgentManager1", r"org\.bluez\.ProfileManager1",
      r"org\.bluez\.GattManager1", r"org\.bluez\.LEAdvertisingManager1",
      r"org\.bluez\.Adapter1", r"org\.bluez\.Device1",
      r"org\.bluez\.GattService1"], None),
    ("device-remove", ["test-device", "remove", "ADDR"], None, 0, [], None),
    ("device-remove-again", ["test-device", "remove", "PATH"], None, 1,
     [r"org\.bluez\.Error\.DoesNotExist"], None),
    ("device-connect-unknown", ["test-device", "connect", "ADDR"], None, 1,
     [r"[Dd]evice not found"], None),
]


# ---- comparing ------------------------------------------------------------

def outcome_of(rec):
    o = rec["outcome"]
    if o == "BleakDBusError":
        o = "%s:%s:%s" % (o, rec.get("error", ""), rec.get("message", ""))
    return o


# What real bluetoothd 5.66 now and then gives for an outcome of the table,
# as measured in the QEMU tier: Bleak's reconnect to the DUT that lost the
# key failed once with the BR/EDR text (2026-12-02, lose-bond) where it
# usually sees the link drop; bluetoothd's own Connect() shows the same
# variant (tests/vm/timelines.py, reconnect-key-lost). Counted as the
# table's outcome only where the table has it.
REAL_SAME = {
    "BleakDBusError:org.bluez.Error.Failed:br-connection-canceled":
        "BleakError",
}


def without_rig(recs):
    """The real tier's records without the rig's first-link drop (op
    rig-drop: bleak-client.py --retry-rig-drop)."""
    return [r for r in recs if r["op"] != "rig-drop"]


def real_outcomes(recs, want):
    """The real tier's (op, outcome) pairs, its known variants of @want's
    outcomes taken as those, the rig's first-link drop left out."""
    got = []
    for n, r in enumerate(without_rig(recs)):
        o = outcome_of(r)
        if n < len(want) and want[n][0] == r["op"] and \
                REAL_SAME.get(o) == want[n][1]:
            o = want[n][1]
        got.append((r["op"], o))
    return got


def compare(case, recs, real=False):
    """Differences between @recs (the script's lines) and the table; @real:
    they come from real bluetoothd (REAL_SAME applies)."""
    name, _, _, want, _, _ = case
    if real:
        recs = without_rig(recs)
    got = real_outcomes(recs, want) if real else \
        [(r["op"], outcome_of(r)) for r in recs]
    if ("services", "ok+1801") in want:
        got = [(op, ("ok+1801" if "1801" in r.get("value", []) else
                     "ok-without-1801") if op == "services" else o)
               for (op, o), r in zip(got, recs)]
    problems = []
    if got != want:
        problems.append("%s: outcomes differ\n      table: %s\n      got:   %s"
                        % (name, fmt(want), fmt(got)))
    for r in recs:
        o = r["outcome"]
        bound = BOUND_MS.get(o, BOUND_FAST_MS)
        if r["ms"] > bound:
            problems.append("%s: %s took %.0f ms (%s; bound %.0f ms)" % (
                name, r["op"], r["ms"], o, bound))
    return problems


def fmt(seq):
    return " | ".join("%s=%s" % (op, o) for op, o in seq if o != "ok") + \
        " (%d ops)" % len(seq)


def summary(recs):
    """A row of the outcome table: the ops that were not ok."""
    bad = ["%s %s" % (op, o) for op, o in
           ((r["op"], outcome_of(r)) for r in recs) if o != "ok"]
    return "; ".join(bad) if bad else "all ok"


def read_jsonl(path):
    recs = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                recs.append(json.loads(line))
            except ValueError as e:
                raise SystemExit("%s:%d:1: not JSON: %s" % (path, n, e))
    return recs


# ---- running against the simulator ----------------------------------------

def die_with_parent():
    # the simulator goes when we go, even if we are killed
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG


class Sim:
    """`bondcheck sim` with the case's faults: a private bus and the
    simulator; its first stdout line is the bus address, printed once
    org.bluez is owned."""

    def __init__(self, build, faults, log):
        cmd = [os.path.join(build, "bondcheck"), "sim", "--time-scale",
               TIME_SCALE]
        if seed_supported(build):
            cmd += ["--seed", SEED]
        for f in faults:
            # "--privacy=on" and the like go as they are
            cmd += [f] if f.startswith("--") else ["--fault", f]
        self.log = open(log, "w")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True,
                                     preexec_fn=die_with_parent)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("DBUS_SYSTEM_BUS_ADDRESS="):
            self.stop()
            raise RuntimeError("bondcheck sim did not start (%s)" % log)
        self.env = dict(os.environ)
        self.env["DBUS_SYSTEM_BUS_ADDRESS"] = line.split("=", 1)[1]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


_SEED = {}


def seed_supported(build):
    if build not in _SEED:
        r = subprocess.run([os.path.join(build, "bondcheck"), "sim",
                            "--help"], capture_output=True, text=True)
        _SEED[build] = "--seed" in r.stdout
    return _SEED[build]


def run_py(argv, env, stdin="", timeout=None):
    """`python3 ARGV...` in @env: (exit status or "timeout", stdout,
    stderr). In the real-BlueZ guest, under tests/vm/pyserver.py, a forked
    child of the server's interpreter runs it instead of a new python3
    (seconds each under TCG): the same script, the same arguments."""
    if os.environ.get("BONDCHECK_PYSERVER"):
        import pyserver
        return pyserver.run_forked(argv, stdin, timeout, env)
    try:
        r = subprocess.run([PY] + argv, env=env, input=stdin or "",
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return "timeout", str(e.stdout or ""), str(e.stderr or "")
    return r.returncode, r.stdout, r.stderr


def run_bleak(env, out, address=DUT, timeout=120, rig=False):
    """@rig: on the QEMU tier's DUT (bluetoothd), whose first link now and
    then drops before its ATT is up (bleak-client.py --retry-rig-drop)."""
    rc, stdout, stderr = run_py([os.path.join(HERE, "bleak-client.py"),
                                 "--address", address, "--out", out] +
                                BLEAK_ARGS +
                                (["--retry-rig-drop"] if rig else []),
                                env, timeout=timeout)
    stderr = stdout + stderr
    if rc == "timeout":
        rc, stderr = 124, stderr + "\nthe Bleak script ran past %d s" % timeout
    return rc, stderr


def sim_case(build, case, outdir):
    name, faults = case[0], case[1]
    out = os.path.join(outdir, name + ".bleak.jsonl")
    sim = Sim(build, faults, os.path.join(outdir, name + ".sim.log"))
    try:
        rc, err = run_bleak(sim.env, out)
    finally:
        sim.stop()
    if rc != 0:
        return [], ["%s: the Bleak script failed (exit %d):\n%s" % (
            name, rc, err[-3000:])]
    recs = read_jsonl(out)
    return recs, compare(case, recs)


def script_rows(env, outdir, address=DUT):
    """The test-script rows in order; (row name, ok, detail, last line)
    each. The scripts are told the adapter (the guest has two)."""
    results = []
    for name, argv, stdin, want_rc, pats, _ in SCRIPT_ROWS:
        sub = {"ADDR": address, "PATH": "/org/bluez/hci0/dev_" +
               address.replace(":", "_")}
        cmd = [os.path.join(SCRIPTS, argv[0])]
        if argv[0] in ("test-adapter", "test-device"):
            cmd += ["-i", "hci0"]
        cmd += [sub.get(a, a) for a in argv[1:]]
        rc, out, err = run_py(cmd, env, stdin, timeout=30)
        text = out + err
        with open(os.path.join(outdir, "script-%s.out" % name), "w") as f:
            f.write("$ python3 %s\n%s\nexit %s\n" % (" ".join(cmd), text,
                                                      rc))
        text = text.replace(address, "ADDR")
        bad = []
        if rc != want_rc:
            bad.append("exit %s, expected %s" % (rc, want_rc))
        for p in pats:
            neg = p.startswith("!")
            found = re.search(p[1:] if neg else p, text, re.M)
            if bool(found) == neg:
                bad.append("%s %r" % ("has" if neg else "lacks",
                                      p[1:] if neg else p))
        results.append((name, not bad, "; ".join(bad) or "as expected",
                        text.strip().splitlines()[-1:] or [""]))
    return results


def scripts_here(env, outdir, address):
    """The scripts find the DUT among known devices: discover it first
    (Bleak's scanner stops when it has it; the device stays known)."""
    out = os.path.join(outdir, "scripts.discover.txt")
    rc, stdout, stderr = run_py(["-c", DISCOVER, address], env, timeout=60)
    with open(out, "w") as f:
        f.write(stdout + stderr + "exit %s\n" % rc)
    if rc != 0:
        raise RuntimeError("the DUT was not discovered for the test scripts "
                           "(%s)" % out)
    rows = script_rows(env, outdir, address)
    with open(os.path.join(outdir, "scripts.json"), "w") as f:
        json.dump([{"row": r[0], "ok": r[1], "detail": r[2]} for r in rows],
                  f, indent=1)
    return rows


def scripts_on_sim(build, outdir):
    sim = Sim(build, [], os.path.join(outdir, "scripts.sim.log"))
    try:
        return scripts_here(sim.env, outdir, DUT)
    finally:
        sim.stop()


DISCOVER = """
import asyncio, sys
from bleak import BleakScanner
d = asyncio.run(BleakScanner.find_device_by_address(sys.argv[1], timeout=%d,
                                                    adapter="hci0"))
print("found" if d else "not found")
sys.exit(0 if d else 1)
""" % TIMEOUT


REAL_PROBE = os.path.join(HERE, "probe-bluez-5.66.json")


def probe_on_sim(build, outdir):
    """The D-Bus probe on the simulator, against the one recorded on real
    bluetoothd 5.66 in the QEMU guest (make check-vm compares live)."""
    out = os.path.join(outdir, "probe.json")
    sim = Sim(build, [], os.path.join(outdir, "probe.sim.log"))
    try:
        r = subprocess.run([PY, os.path.join(HERE, "probe.py"), "run",
                            "--address", DUT, "--out", out], env=sim.env,
                           capture_output=True, text=True, timeout=120)
    finally:
        sim.stop()
    if r.returncode != 0:
        return False, "probe.py run failed:\n" + r.stdout + r.stderr
    r = subprocess.run([PY, os.path.join(HERE, "probe.py"), "compare",
                        REAL_PROBE, out, "--md",
                        os.path.join(outdir, "probe.md")],
                       capture_output=True, text=True, timeout=60)
    return r.returncode == 0, r.stdout + r.stderr


def rig_on_sim(build, outdir):
    """The real tier's retry of Bleak's first connect (--retry-rig-drop),
    on the simulator's DUT dropping that link during discovery: with it,
    the drop is op rig-drop and the rest is the healthy table; without
    it, the script stops at its failed connect."""
    heal = next(c for c in CASES if c[0] == "healthy")
    problems = []
    for rig in (True, False):
        name = "rig-%s" % ("retry" if rig else "none")
        out = os.path.join(outdir, name + ".bleak.jsonl")
        sim = Sim(build, ["drop-during-discovery=1"],
                  os.path.join(outdir, name + ".sim.log"))
        try:
            rc, err = run_bleak(sim.env, out, rig=rig)
        finally:
            sim.stop()
        if rc != 0:
            return ["%s: the Bleak script failed (exit %d):\n%s" % (
                name, rc, err[-3000:])]
        recs = read_jsonl(out)
        ops = [(r["op"], r["outcome"]) for r in recs[:3]]
        drop = "device disconnected" in (recs[1].get("message", "")
                                         if len(recs) > 1 else "")
        if rig:
            if ops != [("discover", "ok"), ("rig-drop", "BleakError"),
                       ("connect", "ok")] or not drop:
                problems.append("%s: not discover, rig-drop (device "
                                "disconnected), connect: %s" % (name, ops))
            problems += compare(heal, recs, real=True)
        elif ops != [("discover", "ok"), ("connect", "BleakError")] or \
                not drop:
            problems.append("%s: not discover, a failed connect (device "
                            "disconnected), nothing after: %s" % (name, ops))
    return problems


def judge(rows, gaps):
    """Apply the expected-failure marks: (problems, notes)."""
    problems, notes = [], []
    for name, bad, gap in rows:
        if gap and bad:
            notes.append("%s: differs as known (gap %d of the note): %s" % (
                name, gap, bad[0].splitlines()[0]))
        elif gap and not bad:
            problems.append("%s: now matches real BlueZ; drop its gap %d "
                            "mark in tests/conformance/conformance.py"
                            % (name, gap))
        else:
            problems += bad
    return problems, notes


def write_tables(path, tag, heads, rows, side, srows):
    """The outcome tables, as Markdown at @path and one line a row."""
    with open(path, "w") as f:
        f.write("| case | %s | %s | as the table |\n| --- | --- | --- | "
                "--- |\n" % heads)
        for r in rows:
            f.write("| %s |\n" % " | ".join(r))
        f.write("\n| test script row | %s | as the table |\n"
                "| --- | --- | --- |\n" % side)
        for r in srows:
            f.write("| %s |\n" % " | ".join(r))
    for r in rows:
        print("%s: %-28s %-48s %s" % (tag, r[0], r[2][:48], r[3]))
    for r in srows:
        print("%s: script %-30s %s" % (tag, r[0], r[2]))


def cmd_sim(a):
    build = os.path.abspath(a.build)
    outdir = a.out or os.path.join(build, "conformance")
    os.makedirs(outdir, exist_ok=True)
    only = set(a.case.split(",")) if a.case else None
    cases = [c for c in CASES if not only or c[0] in only]
    extra = {"scripts", "probe", "rig"}
    if only and only - {c[0] for c in CASES} - extra:
        print("conformance: unknown case(s): %s" % ", ".join(
            sorted(only - {c[0] for c in CASES} - extra)))
        return 2
    if not os.path.exists(os.path.join(SCRIPTS, "test-adapter")):
        print("conformance: bluez-test-scripts is not installed "
              "(tools/debian-packages)")
        return 3
    t0 = time.monotonic()
    rows, table = [], []
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        futs = [(c, ex.submit(sim_case, build, c, outdir)) for c in cases]
        for c, fu in futs:
            recs, bad = fu.result()
            rows.append((c[0], bad, c[5]))
            table.append((c[0], " + ".join(c[1]) or "-", summary(recs),
                          "yes" if not bad else
                          ("known gap %d" % c[5] if c[5] else "NO")))
    srows = []
    if (not only or "scripts" in only) and not a.no_scripts:
        for name, ok, detail, last in scripts_on_sim(build, outdir):
            gap = [r[5] for r in SCRIPT_ROWS if r[0] == name][0]
            rows.append(("script " + name, [] if ok else
                         ["script %s: %s (last line: %s)" % (name, detail,
                                                             last[0])], gap))
            srows.append((name, detail, "yes" if ok else
                          ("known gap %d" % gap if gap else "NO")))
    if only and "rig" in only:
        bad = rig_on_sim(build, outdir)
        print("conformance: rig retry %s" % ("FAILED" if bad else "ok"))
        rows.append(("rig", bad, None))
    if only and "probe" in only:
        ok, text = probe_on_sim(build, outdir)
        print(text.splitlines()[-1] if text.strip() else "")
        if not ok:
            rows.append(("probe", ["probe: %s" % text], None))
    problems, notes = judge(rows, None)
    write_tables(os.path.join(outdir, "table.md"), "conformance",
                 ("simulator faults", "Bleak on the simulator"), table,
                 "simulator", srows)
    for n in notes:
        print("conformance: XFAIL " + n)
    print("conformance: %d cases, %d script rows, %.1f s; table in %s" % (
        len(table), len(srows), time.monotonic() - t0,
        os.path.join(outdir, "table.md")))
    if problems:
        for p in problems:
            print("conformance: MISMATCH " + p)
        return 1
    return 0


def cmd_run_bleak(a):
    """In the guest: the Bleak script against the bus we are on."""
    rc, err = run_bleak(dict(os.environ), a.out, a.address, rig=True)
    sys.stderr.write(err)
    return rc


def cmd_run_scripts(a):
    """In the guest: the test-script rows against the bus we are on."""
    os.makedirs(a.out, exist_ok=True)
    scripts_here(dict(os.environ), a.out, a.address)
    return 0


def cmd_list(a):
    for c in CASES:
        print(c[0])
    return 0


def vm_faults(case):
    """What bondcheck-vmdut is started with for @case."""
    return " ".join(x for x in (NIO, case[2]) if x)


def cmd_vm_plan(a):
    """The cases the real DUT plays: NAME|VMDUT-FAULTS."""
    for c in vm_cases():
        print("%s|%s" % (c[0], vm_faults(c)))
    return 0


def cmd_check(a):
    """The real tier's outcomes against the table, and against the
    simulator's where both ran (table.md rows of the simulator run)."""
    problems, rows = [], []
    only = set(a.case.split(",")) if a.case else None
    for c in CASES:
        if c[2] is None or (only and c[0] not in only):
            continue
        p = os.path.join(a.dir, VM_SAME_RUN.get(c[0], c[0]) + ".bleak.jsonl")
        if not os.path.exists(p):
            problems.append("%s: no outcome from the real tier" % c[0])
            continue
        recs = read_jsonl(p)
        for r in recs:
            if r["op"] == "rig-drop":
                print("conformance(real): %s: the DUT dropped Bleak's first "
                      "link (%s: %s); connected once more" % (
                          c[0], r["outcome"], r["message"]))
        bad = compare(c, recs, real=True)
        problems += bad
        rows.append((c[0], c[2] or "-", summary(recs),
                     "yes" if not bad else "NO"))
        simp = os.path.join(a.sim_dir, c[0] + ".bleak.jsonl") \
            if a.sim_dir else None
        if simp and os.path.exists(simp):
            srecs = read_jsonl(simp)
            real = real_outcomes(recs, c[3])
            sim = [(r["op"], outcome_of(r)) for r in srecs]
            if real != sim and not c[5]:
                problems.append("%s: real and simulator differ\n      real: "
                                "%s\n      sim:  %s" % (c[0], fmt(real),
                                                       fmt(sim)))
    srows = []
    sp = os.path.join(a.dir, "scripts", "scripts.json")
    if a.no_scripts:
        pass
    elif not os.path.exists(sp):
        problems.append("no test-script rows from the real tier")
    else:
        got = {r["row"]: r for r in json.load(open(sp))}
        for row in SCRIPT_ROWS:
            r = got.get(row[0])
            if r is None:
                problems.append("script %s: did not run" % row[0])
                continue
            if not r["ok"]:
                problems.append("script %s on real BlueZ: %s" % (
                    row[0], r["detail"]))
            srows.append((row[0], r["detail"], "yes" if r["ok"] else "NO"))
    write_tables(os.path.join(a.dir, "conformance.md"), "conformance(real)",
                 ("real DUT faults", "Bleak on real bluetoothd 5.66"), rows,
                 "real bluetoothd 5.66", srows)
    if problems:
        for p in problems:
            print("conformance(real): MISMATCH " + p)
        return 1
    return 0


def cmd_self_test(a):
    """REAL_SAME and the rig's first-link drop on made-up records: the
    real tier's variant counts as the table's outcome where the table has
    it, and nowhere else; a rig-drop is left out on the real side only."""
    lose = next(c for c in CASES if c[0] == "lose-bond")
    heal = next(c for c in CASES if c[0] == "healthy")
    canceled = {"outcome": "BleakDBusError", "error":
                "org.bluez.Error.Failed", "message": "br-connection-canceled"}

    def recs(case, op):
        return [dict({"op": o, "outcome": x, "ms": 1.0},
                     **(canceled if o == op else {})) for o, x in case[3]]
    rig = [{"op": "rig-drop", "outcome": "BleakError", "ms": 1.0,
            "message": "failed to discover services, device disconnected"}]
    cases = [
        (compare(lose, recs(lose, "reconnect"), real=True), False),
        (compare(heal, rig + recs(heal, "nothing"), real=True), False),
        (compare(heal, rig + recs(heal, "nothing")), True),  # the simulator
        (compare(heal, recs(heal, "nothing")[:1] + rig[:1] +
                 recs(heal, "nothing")[1:2], real=True), True),
        (compare(lose, recs(lose, "reconnect")), True),    # the simulator
        (compare(heal, recs(heal, "reconnect"), real=True), True),
        (compare(heal, recs(heal, "nothing"), real=True), False),
    ]
    bad = [n for n, (problems, want) in enumerate(cases)
           if bool(problems) != want]
    print("conformance: self-test %s (%d cases)" % (
        "FAILED: %s" % bad if bad else "ok", len(cases)))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sim")
    s.add_argument("--build", required=True)
    s.add_argument("--case", default="")
    s.add_argument("--jobs", type=int, default=4)
    s.add_argument("--no-scripts", action="store_true")
    s.add_argument("--out", default="")
    sub.add_parser("list")
    r = sub.add_parser("run-bleak")
    r.add_argument("--address", required=True)
    r.add_argument("--out", required=True)
    r = sub.add_parser("run-scripts")
    r.add_argument("--address", required=True)
    r.add_argument("--out", required=True)
    sub.add_parser("vm-plan")
    sub.add_parser("self-test")
    c = sub.add_parser("check")
    c.add_argument("dir")
    c.add_argument("--sim-dir", default="")
    c.add_argument("--case", default="", help="only these cases")
    c.add_argument("--no-scripts", action="store_true")
    a = ap.parse_args()
    return {"sim": cmd_sim, "list": cmd_list, "vm-plan": cmd_vm_plan,
            "check": cmd_check, "run-bleak": cmd_run_bleak,
            "self-test": cmd_self_test,
            "run-scripts": cmd_run_scripts}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
