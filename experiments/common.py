"""What every experiment binary shares."""

import contextlib

from absl import app

from keras_initstudy import data
from keras_initstudy import records


@contextlib.contextmanager
def usage_errors():
    """Turns bad input into absl's one-line usage error (exit code 2).

    Covers what a user can get wrong: flag values the library rejects
    (`ValueError`), missing or malformed data (`data.DatasetError`) and an
    output folder that cannot be written (`records.OutputDirError`).
    """
    try:
        yield
    except (data.DatasetError, records.OutputDirError, ValueError) as e:
        raise app.UsageError(str(e), exitcode=2) from None


def positive_ints(values):
    """Flag validator: a comma-separated list of positive integers."""
    return all(v.strip().isdigit() and int(v) > 0 for v in values)
