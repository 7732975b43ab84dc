"""The package's import graph: acyclic, pointing down, every module imports.

The graph is read from the sources with `ast`: an edge for every import of
a keras_initstudy module, at the top of a file or inside a function (a lazy
import is still a dependency). It must have no cycle, and every edge must
point down the layers report -> study -> diagnostics -> theory ->
initializers (or stay in its layer). Then every module is imported, in
dependency order, each first thing in a fresh process: an import that only
works when something else was imported before fails here.
"""

import ast
import graphlib
import json
import os
import subprocess
import sys

import tensorflow as tf

from tests import testutil

_PACKAGE = "keras_initstudy"
# The layers, lowest first: a module may import its own layer and those
# below. Theory is NumPy only and the doctor propagates it on a model's
# graph, so theory sits under diagnostics. Modules in no layer (the public
# face, `__init__.py`, and console scripts) sit above them all.
_LAYERS = ("initializers", "theory", "diagnostics", "study", "report")

# Imports what the package imports from outside it at load (TensorFlow...),
# then each package module in a forked child of its own, in the order given;
# prints {module: null or the error} as JSON.
_IMPORT_SCRIPT = """
import importlib, json, os, sys, traceback

for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
errors = {}
for module in json.loads(sys.argv[2]):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(module)
            message = ""
        except BaseException:
            message = traceback.format_exc(limit=-3)
        os.write(write, message.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        message = f.read().decode()
    os.waitpid(pid, 0)
    errors[module] = message or None
print(json.dumps(errors))
"""


def _modules(root):
    """Maps each module name under `root/_PACKAGE` to its source path."""
    found = {}
    for folder, _, files in os.walk(os.path.join(root, _PACKAGE)):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            parts = os.path.relpath(path, root)[: -len(".py")].split(os.sep)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imported(module, is_package, tree, known):
    """The modules in `known` that `tree` (the source of `module`) imports.

    `from a.b import c` imports module `a.b.c` if there is one, else the
    name `c` of `a.b`; relative imports are resolved against `module`.
    """
    targets = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                parts = parts[: len(parts) - node.level + is_package]
                base = ".".join(parts + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names]
            names = [n if n in known else base for n in names]
        else:
            continue
        for name in names:
            # `import a.b.c` depends on the deepest module it names.
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                targets.add(name)
    targets.discard(module)
    return targets


def import_graph(root=testutil.REPO_ROOT):
    """Maps each module of the package to the package modules it imports."""
    modules = _modules(root)
    graph = {}
    for module, path in modules.items():
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        is_package = os.path.basename(path) == "__init__.py"
        graph[module] = _imported(module, is_package, tree, modules)
    return graph


def dependency_order(graph):
    """The modules, each after everything it imports.

    Raises:
        AssertionError: the graph has a cycle; the message names it.
    """
    try:
        return list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as e:
        cycle = e.args[1]
        # graphlib lists each module before the one that imports it.
        raise AssertionError(
            "import cycle: " + " -> ".join(reversed(cycle))
        ) from None


def _layer(module):
    """The index of `module`'s layer in `_LAYERS`; above them if in none."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in _LAYERS:
        return _LAYERS.index(parts[1])
    return len(_LAYERS)


def upward_imports(graph):
    """The `(importer, imported)` edges that point up the layers."""
    return sorted(
        (module, target)
        for module, targets in graph.items()
        for target in targets
        if _layer(target) > _layer(module)
    )


def _outside_imports(root=testutil.REPO_ROOT):
    """What the package imports at load from outside it: top-level names."""
    names = set()
    for path in _modules(root).values():
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        for node in tree.body:
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names.add(node.module.split(".")[0])
    return sorted(names - {_PACKAGE})


class CycleFinderTest(tf.test.TestCase):
    def test_orders_an_acyclic_graph(self):
        graph = {"a": {"b", "c"}, "b": {"c"}, "c": set()}
        self.assertEqual(dependency_order(graph), ["c", "b", "a"])

    def test_names_the_cycle(self):
        graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
        with self.assertRaises(AssertionError) as raised:
            dependency_order(graph)
        message = str(raised.exception)
        self.assertStartsWith(message, "import cycle: ")
        # Any rotation of a -> b -> c -> a.
        cycle = message.removeprefix("import cycle: ").split(" -> ")
        self.assertEqual(cycle[0], cycle[-1])
        self.assertLen(cycle, 4)
        self.assertIn("a -> b -> c", " -> ".join(cycle[:-1] * 2))

    def test_two_modules_importing_each_other_are_a_cycle(self):
        with self.assertRaisesRegex(AssertionError, "import cycle"):
            dependency_order({"a": {"b"}, "b": {"a"}})

    def test_finds_upward_imports(self):
        graph = {
            "keras_initstudy": {"keras_initstudy.initializers"},
            "keras_initstudy.initializers": {"keras_initstudy.study.data"},
            "keras_initstudy.study.data": set(),
            "keras_initstudy.report": {"keras_initstudy.study.data"},
            "keras_initstudy.diagnostics.doctor": {"keras_initstudy.theory"},
            "keras_initstudy.theory": {"keras_initstudy"},
        }
        self.assertEqual(
            upward_imports(graph),
            [
                ("keras_initstudy.initializers", "keras_initstudy.study.data"),
                ("keras_initstudy.theory", "keras_initstudy"),
            ],
        )


class ImportGraphTest(tf.test.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.graph = import_graph()

    def test_reads_imports_of_every_form(self):
        root = self.create_tempdir()
        for name, source in (
            ("__init__.py", "from keras_initstudy.a import f\n"),
            ("a/__init__.py", "from . import b\n"),
            ("a/b.py", "import keras_initstudy.c.d as d\n"),
            ("a/e.py", "from .b import x\nfrom .. import c\n"),
            ("c/__init__.py", ""),
            ("c/d.py", "def f():\n    from keras_initstudy.a import e\n"),
        ):
            root.create_file(os.path.join(_PACKAGE, name), source)
        self.assertEqual(
            import_graph(root.full_path),
            {
                "keras_initstudy": {"keras_initstudy.a"},
                "keras_initstudy.a": {"keras_initstudy.a.b"},
                "keras_initstudy.a.b": {"keras_initstudy.c.d"},
                "keras_initstudy.a.e": {
                    "keras_initstudy.a.b",
                    "keras_initstudy.c",
                },
                "keras_initstudy.c": set(),
                "keras_initstudy.c.d": {"keras_initstudy.a.e"},
            },
        )

    def test_graph_covers_the_layers(self):
        self.assertIn("keras_initstudy.initializers", self.graph)
        self.assertIn(
            "keras_initstudy.study.runner",
            self.graph["keras_initstudy.study.engines.local"],
        )
        # A new subpackage is a layer (or in one): name it in _LAYERS.
        for module in self.graph:
            parts = module.split(".")
            if len(parts) > 2:
                self.assertIn(parts[1], _LAYERS, module)

    def test_has_no_cycle(self):
        self.assertLen(dependency_order(self.graph), len(self.graph))

    def test_dependencies_point_down(self):
        self.assertEqual(upward_imports(self.graph), [])

    def test_every_module_imports_first_in_a_fresh_process(self):
        order = dependency_order(self.graph)
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                _IMPORT_SCRIPT,
                json.dumps(_outside_imports()),
                json.dumps(order),
            ],
            cwd=testutil.REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        errors = json.loads(proc.stdout.splitlines()[-1])
        self.assertEqual(list(errors), order)
        self.assertEqual({m: e for m, e in errors.items() if e}, {})


if __name__ == "__main__":
    tf.test.main()
