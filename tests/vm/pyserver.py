#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""tests/vm/pyserver.py: one Python interpreter for every Python job of a
real-BlueZ guest (tests/vm/guest-init.sh starts it at its first Python line).

Under TCG a Python interpreter takes 2-4 s to start and as long again to
import dbus-python, GLib or Bleak; the conformance lines start some forty
of them (the Bleak client per case, BlueZ's test scripts one per row, the
probe). This server starts once, imports those modules, and runs each job
in a forked child exactly as `python3 SCRIPT ARG...` would: sys.argv, the
script's directory first on sys.path, run as __main__, stdin and stdout
from the files given, stderr with stdout, its exit status. The scripts run
unchanged; only the interpreter's start-up is shared.

  pyserver.py REQUEST-FIFO
      serve: each request is one line on REQUEST-FIFO,
          DONE-FIFO <TAB> STDIN <TAB> OUTPUT <TAB> SCRIPT [<TAB> ARG]...
      and the job's exit status (128 + N after signal N) is written to
      DONE-FIFO when it ends. One job at a time, in order.

A job's own children (conformance.py running the test scripts) use
run_forked() below the same way, with a timeout.
"""
import os
import runpy
import signal
import sys
import time
import traceback

# what the jobs import, imported once here (each costs seconds under TCG)
PRELOAD = ["argparse", "asyncio", "concurrent.futures", "ctypes", "json",
           "optparse", "re", "subprocess", "xml.etree.ElementTree",
           "bleak", "bleak.exc", "dbus_fast", "dbus_fast.aio", "dbus",
           "dbus.service", "dbus.mainloop.glib", "gi.repository.GLib",
           "gi.repository.GObject"]

# set in every child: the job runs under this server (conformance.py then
# starts its test scripts with run_forked instead of a new interpreter)
ENV_FLAG = "BONDCHECK_PYSERVER"


def log(msg):
    # the guest's clock (its uptime), as guest-init.sh's lines
    print("pyserver %.2f: %s" % (time.monotonic(), msg), flush=True)


def preload():
    for m in PRELOAD:
        try:
            __import__(m)
        except ImportError as e:
            # a job that needs it fails as it would in its own python3
            log("cannot import %s: %s" % (m, e))


def exit_code(e):
    """The status python3 gives for SystemExit(@e.code)."""
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code & 0xff
    print(e.code, file=sys.stderr)
    return 1


def run_here(argv):
    """In the child: run @argv (SCRIPT ARG..., or -c CODE ARG...) as
    python3 would, and never return."""
    code = 1
    try:
        os.environ[ENV_FLAG] = "1"
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        if argv[0] == "-c":
            sys.argv = ["-c"] + argv[2:]
            sys.path[0] = ""
            glob = {"__name__": "__main__", "__builtins__": __builtins__}
            exec(compile(argv[1], "<string>", "exec"), glob)
        else:
            sys.argv = list(argv)
            sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
            runpy.run_path(argv[0], run_name="__main__")
        code = 0
    except SystemExit as e:
        code = exit_code(e)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def spawn(argv, stdin_fd, out_fd, err_fd=None, env=None):
    """Fork a child running @argv with these fds as 0, 1 and 2 (2 = 1 when
    @err_fd is None), in @env if given."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(stdin_fd, 0)
            os.dup2(out_fd, 1)
            os.dup2(out_fd if err_fd is None else err_fd, 2)
            os.setpgid(0, 0)
            if env is not None:
                os.environ.clear()
                os.environ.update(env)
        except BaseException:
            os._exit(127)
        run_here(argv)
    return pid


def status_of(st):
    if os.WIFSIGNALED(st):
        return 128 + os.WTERMSIG(st)
    return os.WEXITSTATUS(st)


def wait_for(pid, timeout=None):
    """Exit status of @pid, or None if it ran past @timeout s (then it and
    its process group are killed). The wait is for the child's pidfd."""
    import select
    fd = os.pidfd_open(pid)
    try:
        if not select.select([fd], [], [], timeout)[0]:
            for target in (-pid, pid):
                try:
                    os.kill(target, signal.SIGKILL)
                except OSError:
                    pass
            os.waitpid(pid, 0)
            return None
    finally:
        os.close(fd)
    return status_of(os.waitpid(pid, 0)[1])


def run_forked(argv, stdin_text="", timeout=None, env=None):
    """From a job: run @argv (a script path and its arguments, or -c CODE)
    in a forked child of this interpreter as python3 would, in @env (this
    process's environment by default). Returns (exit status or "timeout",
    its stdout, its stderr)."""
    import tempfile
    with tempfile.TemporaryFile() as inp, tempfile.TemporaryFile() as out, \
            tempfile.TemporaryFile() as err:
        inp.write((stdin_text or "").encode())
        inp.flush()
        inp.seek(0)
        pid = spawn(argv, inp.fileno(), out.fileno(), err.fileno(), env)
        rc = wait_for(pid, timeout)
        out.seek(0)
        err.seek(0)
        texts = [f.read().decode(errors="replace") for f in (out, err)]
    return ("timeout" if rc is None else rc), texts[0], texts[1]


def serve(request_fifo):
    log("starting")
    preload()
    log("ready (%d modules)" % len(sys.modules))
    # open for reading and writing: no EOF when a writer goes
    fd = os.open(request_fifo, os.O_RDWR)
    buf = b""
    while True:
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            fields = line.decode().split("\t")
            if fields == ["quit"]:
                return 0
            if len(fields) < 4:
                log("bad request %r" % line)
                continue
            done, stdin, output, argv = fields[0], fields[1], fields[2], \
                fields[3:]
            t0 = time.monotonic()
            try:
                i = os.open(stdin or "/dev/null", os.O_RDONLY)
                o = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                            0o644)
            except OSError as e:
                log(str(e))
                rc = 127
            else:
                pid = spawn(argv, i, o)
                os.close(i)
                os.close(o)
                rc = wait_for(pid)
            log("%s: exit %d in %.1f s" % (" ".join(argv), rc,
                                            time.monotonic() - t0))
            with open(done, "w") as f:
                f.write("%d\n" % rc)
    return 0


def main():
    if len(sys.argv) != 2:
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    # the jobs' `import pyserver` is this module, not a second copy
    sys.modules["pyserver"] = sys.modules[__name__]
    return serve(sys.argv[1])


if __name__ == "__main__":
    sys.exit(main())
