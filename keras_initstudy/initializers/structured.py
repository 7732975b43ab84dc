"""Structured initializers: `Orthogonal`, `Identity` (Dense), `Dirac`
(convolutions) and `ZeroHadamard` (ZerO, deterministic).

`Orthogonal` and `Identity` are Keras's own classes (same values) with
their arguments and shapes checked here, each error ending `Received:
x=...`; `Identity` also saves its gain, which Keras's forgets.
`Orthogonal`'s seed behaves as in `keras_initstudy.initializers.random`.
Keras has no `Dirac` or ZerO.
"""

import math

import keras
import numpy as np

from keras_initstudy.initializers import _checks


class Orthogonal(keras.initializers.Orthogonal):
    """Initializer that produces a random orthogonal matrix times `gain`.

    The kernel is viewed as a matrix `(prod(shape[:-1]), shape[-1])` (a
    convolution kernel is flattened over its window and input channels).
    The matrix is the Q factor of the QR decomposition of a normal matrix,
    with signs fixed by R's diagonal so that it is uniformly (Haar)
    distributed. Tall matrices have orthonormal columns, `W^T W = gain^2 I`;
    wide ones orthonormal rows, `W W^T = gain^2 I`.

    Examples:

    >>> layer = keras.layers.Dense(3, kernel_initializer=Orthogonal(seed=1))

    Args:
        gain: multiplies the orthogonal matrix, > 0.
        seed: an int for reproducible values, or None.

    Reference:
        Saxe, McClelland & Ganguli, "Exact solutions to the nonlinear
        dynamics of learning in deep linear neural networks", ICLR 2014
        (arXiv 2013).
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(
            gain=_checks.positive("gain", gain), seed=_checks.seed(seed)
        )

    def __call__(self, shape, dtype=None):
        shape = _checks.rank(shape, 2, "An orthogonal initializer")
        return super().__call__(shape, dtype=dtype)


class Identity(keras.initializers.Identity):
    """Initializer for Dense kernels: the (rectangular) identity times `gain`.

    A kernel `(in, out)` gets ones on its main diagonal, as
    `keras.initializers.Identity` and `torch.nn.init.eye_`; for
    convolution kernels use `Dirac`.

    Examples:

    >>> layer = keras.layers.Dense(3, kernel_initializer=Identity())

    Args:
        gain: the diagonal value (a number).
    """

    def __init__(self, gain=1.0):
        super().__init__(gain=_checks.number("gain", gain))

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity is for 2-D (Dense) kernels; use Dirac for "
                f"convolution kernels. Received: shape={shape!r}"
            )
        return super().__call__(shape, dtype=dtype)

    def get_config(self):
        # Keras's Identity has no get_config, so its gain is lost when a
        # model is saved.
        return {"gain": self.gain}


class Dirac(keras.initializers.Initializer):
    """Initializer for convolution kernels that makes the layer the identity.

    A kernel `(k..., in, out)` gets a 1 at the window's centre for input
    channel `i` and output channel `i` (`i < min(in, out)`), so a
    "same"-padded convolution copies its input channels, as
    `torch.nn.init.dirac_`. With `groups > 1` (grouped convolution, kernel
    `(k..., in / groups, out)`), each group of `out / groups` filters
    copies the group's input channels.

    Examples:

    >>> layer = keras.layers.Conv2D(8, 3, padding="same",
    ...                             kernel_initializer=Dirac())

    Args:
        groups: number of groups, a positive int dividing the filters.
    """

    def __init__(self, groups=1):
        if (
            isinstance(groups, bool)
            or not isinstance(groups, int)
            or groups < 1
        ):
            raise ValueError(
                f"`groups` must be a positive int. Received: groups={groups!r}"
            )
        self.groups = groups

    def __call__(self, shape, dtype=None):
        shape = _checks.rank(shape, 3, "Dirac (a convolution kernel)")
        in_channels, out_channels = shape[-2], shape[-1]
        if out_channels % self.groups:
            raise ValueError(
                f"The filters ({out_channels}) must be divisible by groups "
                f"({self.groups}). Received: shape={shape!r}"
            )
        per_group = out_channels // self.groups
        centre = tuple(k // 2 for k in shape[:-2])
        kernel = np.zeros(shape, dtype="float32")
        for g in range(self.groups):
            for d in range(min(per_group, in_channels)):
                kernel[(*centre, d, g * per_group + d)] = 1.0
        return keras.ops.convert_to_tensor(
            kernel, dtype=dtype or keras.config.floatx()
        )

    def get_config(self):
        return {"groups": self.groups}


def _hadamard(n):
    """Sylvester's Hadamard matrix of order n (a power of 2), entries +-1."""
    index = np.arange(n)
    # H[i, j] = (-1) ** popcount(i & j): Sylvester's recursive construction
    # in closed form.
    bits = np.bitwise_and.outer(index, index)
    parity = np.zeros_like(bits)
    while bits.any():
        parity ^= bits & 1
        bits >>= 1
    return 1.0 - 2.0 * parity


class ZeroHadamard(keras.initializers.Initializer):
    """ZerO initialization: deterministic, only zeros and +-c.

    For a Dense kernel `(fan_in, fan_out)`, i.e. the paper's
    `W (fan_out x fan_in)` transposed:

    - `fan_out <= fan_in`: the (partial) identity, output unit `j` copies
      input `j`;
    - `fan_out > fan_in` (dimension-increasing): `c * H[rows, :fan_out]`,
      `fan_in` rows of Sylvester's Hadamard matrix `H` of order `2^m`,
      `m = ceil(log2(fan_out))`. A partial identity would leave
      `fan_out - fan_in` units at zero for ever ("training degeneracy" in
      the paper); Hadamard rows are orthogonal, so the inputs stay apart.

    Which rows: the paper (and its code) takes the first `fan_in`. With
    Sylvester's `H[i, j] = (-1)^popcount(i & j)`, rows `i < 2^b` only see
    the low `b` bits of `j`, so when `fan_out > 2^ceil(log2(fan_in))`
    (e.g. 100 -> 256) units `j` and `j + 2^b` get identical weights: the
    symmetry ZerO exists to break. Here the rows are the powers of two
    first, then the other indices in order, the first `fan_in` of those,
    sorted: they span GF(2)^m, so every unit differs from every other
    whenever `fan_in >= m`. When the first `fan_in` rows already contain
    every power of two (e.g. 784 -> 1024), this is exactly the paper's
    matrix.

    Convolution kernels `(k..., in, out)` get that matrix at the window's
    centre and zeros elsewhere (as the authors do for ResNets).

    The constant: Algorithm 1 of the paper writes `c = 2^(-(m-1)/2)`, while
    the authors' reference code (the MNIST example of
    jiaweizzhao/ZerO-initialization) divides by `2^(m/2)`. This class uses
    `c = 2^(-m/2)`, the code's value: it is the one that makes `c * H`
    orthogonal, so the dimension-increasing layer preserves the norm of its
    input exactly like the identity branches do (`W^T W = I` when `fan_out`
    is a power of 2). The paper's value is this times sqrt(2), a ReLU-style
    gain that only the Hadamard layers would get.

    Note: in a dimension-decreasing first layer (e.g. 784 pixels -> 128
    units) each unit copies one input: on MNIST the first 128 pixels are
    the image's blank top rows, so with ReLU those units start dead. Make
    the first hidden layer wider than the input (e.g. 1024) so it is
    Hadamard-initialized.

    Examples:

    >>> init = ZeroHadamard()
    >>> values = init(shape=(4, 8))
    >>> layer = keras.layers.Dense(1024, kernel_initializer=init)

    Reference:
        Zhao, Schaefer & Anandkumar, "ZerO Initialization: Initializing
        Neural Networks with only Zeros and Ones", TMLR 2022.
    """

    @staticmethod
    def constant(fan_out):
        """The nonzero magnitude c of a dimension-increasing kernel."""
        return 2.0 ** (-math.ceil(math.log2(fan_out)) / 2.0)

    @staticmethod
    def matrix(fan_in, fan_out):
        """The `(fan_in, fan_out)` ZerO matrix as a float64 NumPy array."""
        if fan_out <= fan_in:
            return np.eye(fan_in, fan_out)
        m = math.ceil(math.log2(fan_out))
        powers = [2**k for k in range(m)]
        others = [i for i in range(2**m) if i not in set(powers)]
        rows = sorted((powers + others)[:fan_in])
        return ZeroHadamard.constant(fan_out) * _hadamard(2**m)[rows, :fan_out]

    def __call__(self, shape, dtype=None):
        shape = _checks.rank(shape, 2, "ZerO initialization")
        kernel = np.zeros(shape, dtype="float32")
        centre = tuple(k // 2 for k in shape[:-2])
        kernel[centre] = self.matrix(shape[-2], shape[-1])
        return keras.ops.convert_to_tensor(
            kernel, dtype=dtype or keras.config.floatx()
        )

    def get_config(self):
        return {}


@keras.saving.register_keras_serializable(package="keras_initstudy")
class LooksLinear(keras.initializers.Initializer):
    """Mirrored orthogonal kernels: a relu chain that computes a linear map.

    Balduzzi et al.'s "looks linear" initialization. A kernel `(..., in,
    out)` is built from an orthogonal `A` (`Orthogonal`, times `gain`):

    - `mirror_outputs`: the output units come in pairs, `[A, -A]`: unit `j`
      computes `z_j` and unit `j + out / 2` computes `-z_j`, so after relu
      the pair holds `relu(z_j)` and `relu(-z_j)`, which together are `z_j`;
    - `mirror_inputs`: the layer reads such pairs, rows `[A; -A]`, and so
      computes `A^T (relu(z) - relu(-z)) = A^T z`.

    A chain of relu layers, the first mirroring its outputs, the inner ones
    both sides, the last its inputs, is then the linear map `A_k^T ...
    A_1^T` at initialization: an orthogonal map, which passes signals and
    gradients through any depth unchanged (dynamical isometry), where He's
    i.i.d. weights keep only their average size and let the inputs' images
    grow alike with depth. The units are still relu units and distinct (a
    pair differs in sign), so training departs from linearity at once.

    Each kernel's entries have He's variance, 2 / fan_in, when mirrored on
    both sides with `gain=1`; the chain's last layer takes `gain=sqrt(2)`
    for the relu after it. Not in the registry of names: which sides a
    layer mirrors depends on its place in the chain, so no single name
    initializes every layer of a model (`doctor.repair` draws it for relu
    chains).

    Examples:

    >>> first = LooksLinear(mirror_inputs=False, seed=0)
    >>> inner = LooksLinear(seed=1)
    >>> last = LooksLinear(mirror_outputs=False, gain=2**0.5, seed=2)
    >>> w = keras.ops.convert_to_numpy(inner((8, 8)))
    >>> bool(np.all(w[:, 4:] == -w[:, :4]) and np.all(w[4:] == -w[:4]))
    True

    Args:
        mirror_inputs: the layer's inputs are mirrored pairs (the input
            channels, for a convolution, must be even).
        mirror_outputs: the layer's outputs are mirrored pairs (even).
        gain: multiplies the orthogonal `A`, > 0.
        seed: an int for reproducible values, or None.

    Reference:
        Balduzzi, Frean, Leary, Lewis, Ma & McWilliams, "The Shattered
        Gradients Problem: If resnets are the answer, then what is the
        question?", ICML 2017.
    """

    def __init__(
        self, mirror_inputs=True, mirror_outputs=True, gain=1.0, seed=None
    ):
        self.mirror_inputs = bool(mirror_inputs)
        self.mirror_outputs = bool(mirror_outputs)
        self.gain = _checks.positive("gain", gain)
        self.seed = _checks.seed(seed)

    def __call__(self, shape, dtype=None):
        shape = _checks.rank(shape, 2, "LooksLinear")
        half = list(shape)
        for axis, mirrored in (
            (-2, self.mirror_inputs),
            (-1, self.mirror_outputs),
        ):
            if mirrored:
                if shape[axis] % 2:
                    raise ValueError(
                        "A mirrored side needs an even size: "
                        f"{'inputs' if axis == -2 else 'outputs'} of "
                        f"{shape[axis]}. Received: shape={tuple(shape)!r}"
                    )
                half[axis] = shape[axis] // 2
        a = Orthogonal(gain=self.gain, seed=self.seed)(tuple(half))
        a = keras.ops.convert_to_numpy(a).astype(np.float64)
        if self.mirror_outputs:
            a = np.concatenate([a, -a], axis=-1)
        if self.mirror_inputs:
            a = np.concatenate([a, -a], axis=-2)
        return keras.ops.convert_to_tensor(
            a, dtype=dtype or keras.config.floatx()
        )

    def get_config(self):
        return {
            "mirror_inputs": self.mirror_inputs,
            "mirror_outputs": self.mirror_outputs,
            "gain": self.gain,
            "seed": self.seed,
        }
