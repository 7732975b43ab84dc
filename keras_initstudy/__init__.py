"""keras_initstudy: why network weights must not start at zero.

Importing the package registers its initializers with Keras, so models saved
with them load again.
"""

from keras_initstudy import initializers
from keras_initstudy.initializers import check_shared_initializers
from keras_initstudy.initializers import get
from keras_initstudy.initializers import names
from keras_initstudy.initializers.gain import calculate_gain

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "calculate_gain",
    "check_shared_initializers",
    "get",
    "initializers",
    "names",
]
