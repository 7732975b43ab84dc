"""pytest glue for tf.test.TestCase files."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from tests import testutil  # noqa: E402

# absl's create_tempdir reads flags, which pytest never parses.
flags.FLAGS.mark_as_parsed()
testutil.use_shared_datasets()


def pytest_collection_modifyitems(config, items):
    # tf.test.TestCase inherits a deprecated `test_session` that always skips.
    items[:] = [item for item in items if item.name != "test_session"]
