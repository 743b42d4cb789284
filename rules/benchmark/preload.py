# isobench's preloading process (preload.go): one per side of a benchmark with `preload`.
# It imports the modules once, then forks a child per run; each child runs the test script as
# __main__ with the run's argv, working directory, environment and output pipes, in a process
# group of its own, so that a run is still a process of its own. It talks to isobench over its
# stdin, a SEQPACKET socket: one JSON message each way per step, a run's stdout and stderr
# passed with the request as descriptors. Its own stdout and stderr go to isobench's log.
#
# Run as: python -c <this file> <settings as JSON>. Keep it to the standard library and to
# what Python 3.8 has: it runs with the side's environment's interpreter.

import ast
import json
import os
import select
import signal
import socket
import sys
import time
import traceback

MAX_MESSAGE = 1 << 20


def send(ctl, **msg):
    ctl.send(json.dumps(msg).encode())


def recv(ctl):
    """The next message and the descriptors that came with it; (None, []) at EOF."""
    fds = []
    data, anc, _, _ = ctl.recvmsg(MAX_MESSAGE, socket.CMSG_SPACE(16 * 4))
    for level, kind, body in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            n = len(body) - len(body) % 4
            fds.extend(int.from_bytes(body[i:i + 4], sys.byteorder) for i in range(0, n, 4))
    if not data:
        for fd in fds:
            os.close(fd)
        return None, []
    return json.loads(data.decode()), fds


def script_imports(path):
    """The modules the script imports at its top level, in order, each with whether it is
    optional: an import inside a top-level try, which the script itself guards. Found with
    ast, without running the script."""
    try:
        with open(path, "rb") as f:
            tree = ast.parse(f.read(), path)
    except (SyntaxError, ValueError):
        # Nothing to preload: each run fails on it by itself, as a fresh process would.
        return []
    found = []

    def visit(body, optional):
        for node in body:
            if isinstance(node, ast.Import):
                for a in node.names:
                    found.append((a.name, optional, []))
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0 and node.module and node.module != "__future__":
                    found.append((node.module, optional, [a.name for a in node.names if a.name != "*"]))
            elif isinstance(node, ast.Try):
                visit(node.body, True)

    visit(tree.body, False)
    seen, out = set(), []
    for name, optional, names in found:
        if name not in seen:
            seen.add(name)
            out.append((name, optional, names))
    return out


def cuda_initialized():
    """Whether this process has created a CUDA context: torch says so when it was imported,
    and any library that did holds /dev/nvidia-uvm open (NVML, which vLLM starts at import,
    opens only /dev/nvidiactl and is safe to fork)."""
    torch_cuda = sys.modules.get("torch.cuda")
    if torch_cuda is not None:
        try:
            if torch_cuda.is_initialized():
                return True
        except Exception:
            pass
    try:
        for fd in os.listdir("/proc/self/fd"):
            try:
                if os.readlink("/proc/self/fd/" + fd).startswith("/dev/nvidia-uvm"):
                    return True
            except OSError:
                pass
    except OSError:
        pass
    return False


def preload(settings):
    """Imports the modules; returns (imported, skipped) or raises Failed."""
    if settings.get("imports"):
        wanted = script_imports(settings["script"])
    else:
        wanted = [(m, False, []) for m in settings["modules"]]
    import importlib
    imported, skipped = [], []
    for name, optional, names in wanted:
        try:
            mod = importlib.import_module(name)
            for n in names:
                # from m import n: n may be a submodule the package does not import itself.
                if not hasattr(mod, n):
                    try:
                        importlib.import_module(name + "." + n)
                    except Exception:
                        pass
        except BaseException as e:
            if optional and isinstance(e, Exception):
                skipped.append(name)
                continue
            traceback.print_exc()
            raise Failed("import", name, "%s: %s" % (type(e).__name__, e))
        if cuda_initialized():
            raise Failed("cuda", name, "importing %s initialised CUDA in the preloading process; a forked "
                         "child cannot use a CUDA context it inherits, so each run must create its own" % name,
                         before=imported)
        imported.append(name)
    return imported, skipped


class Failed(Exception):
    def __init__(self, kind, module, message, before=()):
        Exception.__init__(self, message)
        self.kind, self.module, self.message = kind, module, message
        self.before = list(before)  # for "cuda": the modules imported before this one


def own_pid_namespace(settings):
    """Whether everything but this process and pid 1 belongs to the runs: isobench says the
    sandbox has a PID namespace, and pid 1, this process's parent, is the sandbox's init."""
    if not settings.get("pid_namespace") or os.getppid() != 1:
        return False
    try:
        with open("/proc/1/cmdline", "rb") as f:
            return f.read().split(b"\0")[0] == b"isobench-sandbox-init"
    except OSError:
        return False


_libc = None


def libc():
    """The C library, for the calls os lacks (prctl; pidfd_open before Python 3.9)."""
    global _libc
    if _libc is None:
        import ctypes
        _libc = ctypes.CDLL(None)
    return _libc


def die_with_parent():
    try:
        libc().prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def pidfd(pid):
    """A descriptor that becomes readable when pid exits, or None (Linux before 5.3)."""
    try:
        if hasattr(os, "pidfd_open"):
            return os.pidfd_open(pid)
        fd = libc().syscall(434, pid, 0)  # pidfd_open, the same number on x86-64 and arm64
        return fd if fd >= 0 else None
    except Exception:
        return None


def child(ctl, settings, req, out, err):
    """In the forked child: become the run's process, run the script, return its exit code
    (or what sys.exit was given) for the interpreter's own exit to handle."""
    try:
        os.setpgid(0, 0)
        die_with_parent()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        for fd in (devnull, out, err):
            if fd > 2:
                os.close(fd)
        ctl.close()
        os.chdir(req["cwd"])
        os.environ.clear()
        for kv in req["env"]:
            k, _, v = kv.partition("=")
            os.environ[k] = v
        script = settings["script"]
        sys.argv = list(req["argv"])
        sys.path[0] = os.path.dirname(script)
        # What a fresh process would draw anew: the temporary directory (from TMPDIR) and
        # numpy's global random state (the random module reseeds itself after a fork).
        if "tempfile" in sys.modules:
            sys.modules["tempfile"].tempdir = None
        np_random = sys.modules.get("numpy.random")
        if np_random is not None:
            try:
                np_random.seed()
            except Exception:
                pass
    except BaseException:
        traceback.print_exc()
        os._exit(125)
    import runpy
    globals_ = None
    try:
        globals_ = runpy.run_path(script, run_name="__main__")
        return 0
    except SystemExit as e:
        return e.code
    except BaseException as e:
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != script:
            tb = tb.tb_next
        sys.excepthook(type(e), e, tb or e.__traceback__)
        return 1
    finally:
        child.globals = globals_  # what a fresh process's __main__ keeps until it exits


def serve(ctl, settings):
    """Forks a child per run request until isobench closes the socket. Returns None in the
    server, or ("child", code) in a child."""
    sweep = own_pid_namespace(settings)
    while True:
        req, fds = recv(ctl)
        if req is None:
            return None
        if req.get("op") == "kill":
            # For a run that ended as isobench asked to end it: nothing left to kill.
            continue
        if req.get("op") != "run" or len(fds) != 2:
            for fd in fds:
                os.close(fd)
            send(ctl, op="error", message="unexpected request %r with %d descriptors" % (req.get("op"), len(fds)))
            continue
        out, err = fds
        sys.stdout.flush()
        sys.stderr.flush()
        start = time.monotonic()
        try:
            pid = os.fork()
        except OSError as e:
            os.close(out)
            os.close(err)
            send(ctl, op="error", message="fork: %s" % e)
            continue
        if pid == 0:
            return ("child", child(ctl, settings, req, out, err))
        os.close(out)
        os.close(err)
        try:
            os.setpgid(pid, pid)  # also here: a kill may come before the child has run
        except OSError:
            pass
        send(ctl, op="started", pid=pid)
        status = wait(ctl, pid)
        ran = time.monotonic() - start
        # The run is over: so is everything it started, in its group, or in the sandbox.
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        if sweep:
            try:
                os.kill(-1, signal.SIGKILL)  # all but pid 1 and this process
            except OSError:
                pass
        if status is None:
            return None  # isobench is gone
        code = -1 if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        send(ctl, op="exit", code=code, nanos=int(ran * 1e9))


def wait(ctl, pid):
    """Waits for the child, killing its group when isobench asks; returns its wait status, or
    None when isobench closed the socket (the child is then killed)."""
    pfd = pidfd(pid)
    try:
        while True:
            ready, _, _ = select.select([ctl] + ([pfd] if pfd is not None else []), [], [],
                                        None if pfd is not None else 0.005)
            if ctl in ready:
                req, fds = recv(ctl)
                for fd in fds:
                    os.close(fd)
                if req is None or req.get("op") == "kill":
                    try:
                        os.killpg(pid, signal.SIGKILL)
                    except OSError:
                        pass
                    if req is None:
                        os.waitpid(pid, 0)
                        return None
            got, status = os.waitpid(pid, os.WNOHANG)
            if got == pid:
                return status
    finally:
        if pfd is not None:
            os.close(pfd)


def main():
    settings = json.loads(sys.argv[1])
    ctl = socket.fromfd(0, socket.AF_UNIX, socket.SOCK_SEQPACKET)
    # Our stdin is the socket; the imports, like a fresh run, see /dev/null.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    # As `python script.py` has it: the script's directory first on sys.path.
    sys.path[0] = os.path.dirname(settings["script"])
    start = time.monotonic()
    try:
        imported, skipped = preload(settings)
    except Failed as e:
        send(ctl, op="failed", kind=e.kind, module=e.module, message=e.message, modules=e.before)
        return 1
    except BaseException as e:
        traceback.print_exc()
        send(ctl, op="failed", kind="internal", module="", message="%s: %s" % (type(e).__name__, e))
        return 1
    try:
        threads = len(os.listdir("/proc/self/task"))
    except OSError:
        threads = 0
    send(ctl, op="ready", modules=imported, skipped=skipped, threads=threads,
         seconds=time.monotonic() - start)
    got = serve(ctl, settings)
    if got is not None:
        return got[1]
    return 0


if __name__ == "__main__":
    sys.exit(main())
