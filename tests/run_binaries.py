"""Runs many `python -m experiments.X ARGS...` in one interpreter start.

Usage: `python -m tests.run_binaries [JOBS] < cases.json`, where the JSON
is a list of `{"module": ..., "args": [...], "env": {...}}`. Prints one
JSON line: a `{"returncode", "stdout", "stderr"}` per case, in order.

Starting a binary costs 3-5 s of TensorFlow import. This driver imports
what the binaries import once, then forks a child per case. absl flags are
process-global, so each child runs its binary from scratch in its own
address space: `runpy` executes the module as `__main__`, as `python -m`
does, so it defines its flags, parses its argv and calls `app.run(main)`
exactly as on the command line, and the parent never defines or parses a
flag. A child's stdout and stderr go to files of its own; its exit code is
what `os.waitpid` reports (negative: killed by that signal).
"""

import ast
import importlib
import importlib.util
import json
import os
import runpy
import signal
import sys
import tempfile
import traceback

# What every binary sets before it imports TensorFlow.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# A child that runs longer is killed by SIGALRM (return code -14).
_CASE_TIMEOUT_S = 600


def _imports_of(module):
    """What `module`'s source imports at its top level, as module names.

    `from package import name` gives `package.name`, which is a module or
    else an attribute of `package`.
    """
    with open(importlib.util.find_spec(module).origin) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _defines_flags(module):
    """Whether importing `module` defines absl flags (a binary, such as the
    package's console script, which experiments/doctor.py runs)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return False
    with open(spec.origin) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        value = getattr(node, "value", None)
        func = getattr(value, "func", None)
        if isinstance(func, ast.Attribute) and func.attr.startswith("DEFINE"):
            return True
    return False


def _preload(modules):
    """Imports, in this process, everything the binaries import but the
    binaries themselves: each child defines its binary's flags afresh."""
    for module in modules:
        for name in _imports_of(module):
            try:
                if not _defines_flags(name):
                    importlib.import_module(name)
            except ModuleNotFoundError:  # An attribute, not a module.
                parent = name.rpartition(".")[0]
                if not _defines_flags(parent):
                    importlib.import_module(parent)


def _exit_code(error):
    """The process exit code that `SystemExit(error.code)` stands for."""
    if error.code is None:
        return 0
    if isinstance(error.code, int):
        return error.code
    print(error.code, file=sys.stderr)
    return 1


def _child(case, stdout, stderr):
    """Runs one case in a forked child; never returns."""
    code = 1
    try:
        signal.alarm(_CASE_TIMEOUT_S)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(stdout.fileno(), 1)
        os.dup2(stderr.fileno(), 2)
        os.environ.update(case.get("env", {}))
        module = case["module"]
        sys.argv = [importlib.util.find_spec(module).origin, *case["args"]]
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as e:
            code = _exit_code(e)
    except BaseException:  # What the interpreter does with an uncaught one.
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def run(cases, jobs=2):
    """Runs every case, `jobs` children at a time; the results in order."""
    _preload(sorted({case["module"] for case in cases}))
    sys.stdout.flush()
    sys.stderr.flush()
    results = [None] * len(cases)
    running = {}
    with tempfile.TemporaryDirectory() as scratch:
        pending = list(enumerate(cases))
        while pending or running:
            while pending and len(running) < jobs:
                index, case = pending.pop(0)
                files = [
                    open(
                        os.path.join(scratch, f"{index}.{name}"),
                        "w+",
                        errors="replace",
                    )
                    for name in ("stdout", "stderr")
                ]
                pid = os.fork()
                if pid == 0:
                    _child(case, *files)
                running[pid] = index, files
            pid, status = os.wait()
            index, files = running.pop(pid)
            outputs = []
            for f in files:
                f.seek(0)
                outputs.append(f.read())
                f.close()
            results[index] = {
                "returncode": os.waitstatus_to_exitcode(status),
                "stdout": outputs[0],
                "stderr": outputs[1],
            }
    return results


if __name__ == "__main__":
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    print(json.dumps(run(json.load(sys.stdin), jobs)))
