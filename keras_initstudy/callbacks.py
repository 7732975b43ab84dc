"""Keras callbacks over `keras_initstudy.diagnostics`.

They work with `model.fit` and with `keras_initstudy.training.train`, which
calls `on_train_begin`, `on_train_batch_end` and `on_train_end` the same way.
"""

import warnings

import keras

from keras_initstudy import diagnostics
from keras_initstudy import doctor
from keras_initstudy import models
from keras_initstudy import signals


class _PeriodicRecorder(keras.callbacks.Callback):
    """Calls `_record(iteration)` at the start, every `every` updates and at
    the end; subclasses implement `_reset()` and `_record(iteration)`."""

    def __init__(self, every, layer_names):
        super().__init__()
        if every < 1:
            raise ValueError(f"`every` must be >= 1. Received: every={every}")
        self.every = int(every)
        self.layer_names = None if layer_names is None else list(layer_names)
        self.history = {}
        self._iteration = 0
        self._last = None

    def _watched_layers(self):
        if self.layer_names is None:
            return models.hidden_layers(self.model)
        return [self.model.get_layer(n) for n in self.layer_names]

    def on_train_begin(self, logs=None):
        self._reset()
        self._iteration = 0
        self._record(0)
        self._last = 0

    def on_train_batch_end(self, batch, logs=None):
        self._iteration += 1
        if self._iteration % self.every == 0:
            self._record(self._iteration)
            self._last = self._iteration

    def on_train_end(self, logs=None):
        if self._last != self._iteration:
            self._record(self._iteration)
            self._last = self._iteration


class SymmetryMonitor(_PeriodicRecorder):
    """Records, per hidden layer and iteration, how many units are distinct.

    A layer whose units start identical (zero or any shared constant) stays
    at one distinct unit under gradient descent: every unit gets the same
    gradient. This callback makes that visible per iteration, and shows the
    moment something (random init, dropout masks, random biases) breaks the
    tie. Iteration 0 is the initial state; iteration i is after the i-th
    update.

    Examples:

    >>> monitor = SymmetryMonitor()
    >>> model.fit(x, y, callbacks=[monitor])  # doctest: +SKIP
    >>> monitor.history["hidden_1"]["distinct_units"]  # doctest: +SKIP
    [1, 1, 1, ...]

    Args:
        layer_names: names of the layers to watch; None watches every Dense
            layer but the output layer (`models.hidden_layers`).
        every: record every this many iterations (1: every iteration). The
            last iteration is always recorded.
        atol: units whose incoming weights (and biases) agree within `atol`
            count as one (see `diagnostics.symmetry_groups`).

    Attributes:
        history: `{layer_name: {"iteration": [...], "distinct_units": [...],
            "max_pairwise_distance": [...]}}`, plain Python lists so it goes
            into metrics.json as is.
    """

    def __init__(
        self, layer_names=None, every=1, atol=diagnostics.SYMMETRY_ATOL
    ):
        super().__init__(every, layer_names)
        self.atol = atol
        self._layers = []

    def _record(self, iteration):
        for layer in self._layers:
            kernel = keras.ops.convert_to_numpy(layer.kernel)
            bias = (
                None
                if layer.bias is None
                else keras.ops.convert_to_numpy(layer.bias)
            )
            distinct, distance = diagnostics.symmetry_summary(
                kernel, bias, self.atol
            )
            entry = self.history[layer.name]
            entry["iteration"].append(iteration)
            entry["distinct_units"].append(distinct)
            entry["max_pairwise_distance"].append(distance)

    def _reset(self):
        self._layers = self._watched_layers()
        self.history = {
            layer.name: {
                "iteration": [],
                "distinct_units": [],
                "max_pairwise_distance": [],
            }
            for layer in self._layers
        }


class ActivationStats(_PeriodicRecorder):
    """Records per-layer signal statistics on a fixed batch during training.

    Every `every` iterations (and at the start and the end) it runs
    `signals.layer_signals` on the probe batch `(x, y)` and keeps the
    per-layer activation std, the std of the gradients with respect to the
    activations and kernels, the saturated and dead shares, and the
    `signals.verdict`. It shows, for instance, a deep tanh net with small
    weights staying "vanishing" while its loss sits at ln 10.

    Examples:

    >>> stats = ActivationStats(x[:500], y[:500], every=10)
    >>> model.fit(x, y, callbacks=[stats])  # doctest: +SKIP
    >>> stats.history["verdict"]  # doctest: +SKIP
    ['vanishing', 'vanishing', ...]

    Args:
        x, y: the probe batch (inputs and integer labels).
        every: record every this many iterations (1: every iteration).
        layer_names: names of the layers to watch; None watches every
            Dense layer but the output layer (`models.hidden_layers`).

    Attributes:
        history: `{"iteration": [...], "verdict": [...], "layers": [...]}`
            and, for each key of `KEYS`, a list (one entry per record) of
            per-layer lists: plain Python, ready for metrics.json.
    """

    KEYS = (
        "std",
        "grad_activation_std",
        "grad_kernel_std",
        "saturated_fraction",
        "dead_fraction",
    )

    def __init__(self, x, y, every=1, layer_names=None):
        super().__init__(every, layer_names)
        self.x, self.y = x, y

    def _record(self, iteration):
        stats = self._probe(self.x, self.y)
        self.history["layers"] = stats["layers"]
        self.history["iteration"].append(iteration)
        self.history["verdict"].append(signals.verdict(stats))
        for key in self.KEYS:
            self.history[key].append(stats[key])

    def _reset(self):
        # One probe per fit: building the probe model costs more than a pass.
        self._probe = signals.Probe(
            self.model, self._watched_layers(), bins=None
        )
        self.history = {"iteration": [], "verdict": [], "layers": []}
        self.history.update({key: [] for key in self.KEYS})


class InitDoctor(keras.callbacks.Callback):
    """Runs `doctor.examine` when training begins; stops a doomed run.

    A guard for any `model.fit` (or `training.train`): before the first
    step it examines every weight of the model (and, given a batch, its
    forward and backward signals). With `on_error="raise"` an error-level
    finding raises `doctor.InitializationError`, so no compute is spent on
    a run that cannot learn; with `"warn"` it issues a `UserWarning` and
    training goes on.

    Examples:

    >>> guard = InitDoctor(on_error="raise")
    >>> model.fit(x, y, callbacks=[guard])  # doctest: +SKIP
    InitializationError: 1 initialization error(s); ...

    Args:
        on_error: "raise" or "warn".
        x, y: an optional batch (inputs, integer labels) for the signals.

    Attributes:
        report: the `doctor.Report` of the last `on_train_begin`.
    """

    ON_ERROR = ("raise", "warn")

    def __init__(self, on_error="raise", x=None, y=None):
        super().__init__()
        if on_error not in self.ON_ERROR:
            raise ValueError(
                f"`on_error` must be one of {self.ON_ERROR}. "
                f"Received: on_error={on_error!r}"
            )
        self.on_error = on_error
        self.x, self.y = x, y
        self.report = None

    def on_train_begin(self, logs=None):
        self.report = doctor.examine(self.model, self.x, self.y)
        if not self.report.has(doctor.ERROR):
            return
        error = doctor.InitializationError(self.report)
        if self.on_error == "raise":
            raise error
        warnings.warn(str(error), UserWarning, stacklevel=2)
