"""pytest glue for tf.test.TestCase files, alone or on pytest-xdist workers."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402
from absl import flags  # noqa: E402
from absl.testing import absltest  # noqa: E402

from tests import testutil  # noqa: E402

# absl's create_tempdir reads flags, which pytest never parses.
flags.FLAGS.mark_as_parsed()
# create_tempdir puts a test's folder under test_tmpdir/<class>/<test>,
# named by the class name alone (several files have a `BinaryTest`) and
# /tmp/absl_testing for every process on the machine: each process (each
# xdist worker) gets a folder of its own.
_TMPDIR = tempfile.mkdtemp(prefix="keras_initstudy_test_")
flags.FLAGS[absltest.TEST_TMPDIR.name].value = _TMPDIR
atexit.register(shutil.rmtree, _TMPDIR, ignore_errors=True)
testutil.use_shared_datasets()

# `make test` runs on pytest-xdist workers with `--dist loadscope`
# (setup.cfg): a scope runs on one worker, one test after another. Each
# class is a scope, so a setUpClass (a built wheel and venv, a table of
# binary runs, a Ray cluster) runs once. These start process trees of their
# own (a two-node Ray cluster, sweeps on worker processes that are stopped by
# a signal, Chromium) and share one scope, so that no two of them compete
# for the cores at once.
_OWN_PROCESSES = (
    "tests/ray_engine_test.py::",
    "tests/interrupt_test.py::InterruptTest::",
    "tests/explorer_test.py::ExplorerBrowserTest::",
)


def pytest_collection_modifyitems(config, items):
    # tf.test.TestCase inherits a deprecated `test_session` that always skips.
    items[:] = [item for item in items if item.name != "test_session"]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    # xdist's `xdist_group` marks would say the same, but they work by
    # renaming node ids, which pytest 9 no longer lets a plugin do.
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            if nodeid.startswith(_OWN_PROCESSES):
                return "own processes"
            return super()._split_scope(nodeid)

    return Scheduling(config, log)
