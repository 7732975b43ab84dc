"""keras_initstudy: why network weights must not start at zero.

Importing the package registers its initializers with Keras, so models saved
with them load again.

The public face:
- `get`, `names`, `initializers`: the initializers and their one registry;
- `calculate_gain`, `check_shared_initializers`;
- `callbacks` (`InitDoctor`, `SymmetryMonitor`, ...), `doctor` (`examine`)
  and `theory` (mean-field signal propagation), loaded on first use so that
  importing the package costs no more than its initializers.
"""

import importlib

from keras_initstudy import initializers
from keras_initstudy.initializers import check_shared_initializers
from keras_initstudy.initializers import get
from keras_initstudy.initializers import names
from keras_initstudy.initializers.gain import calculate_gain

__version__ = "0.1.0"

# Names of the face whose modules load on first use.
_LAZY = {
    "callbacks": "keras_initstudy.diagnostics.callbacks",
    "doctor": "keras_initstudy.diagnostics.doctor",
    "theory": "keras_initstudy.theory",
}

__all__ = [
    "__version__",
    "calculate_gain",
    "callbacks",
    "check_shared_initializers",
    "doctor",
    "get",
    "initializers",
    "names",
    "theory",
]


def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
