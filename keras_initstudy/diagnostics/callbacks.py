"""Keras callbacks over `keras_initstudy.diagnostics`, TensorBoard, progress.

They work with `model.fit` and with `keras_initstudy.study.training.train`,
which
calls `on_train_begin`, `on_train_batch_end` and `on_train_end` the same way
(and adds `"eval_loss"` to the logs where it evaluates).
"""

import contextlib
import functools
import sys
import warnings

import keras
import tensorflow as tf

from keras_initstudy.diagnostics import doctor
from keras_initstudy.diagnostics import signals
from keras_initstudy.diagnostics import symmetry


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
            return signals.hidden_layers(self.model)
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
            layer but the output layer (`signals.hidden_layers`).
        every: record every this many iterations (1: every iteration). The
            last iteration is always recorded.
        atol: units whose incoming weights (and biases) agree within `atol`
            count as one (see `symmetry.symmetry_groups`).

    Attributes:
        history: `{layer_name: {"iteration": [...], "distinct_units": [...],
            "max_pairwise_distance": [...]}}`, plain Python lists so it goes
            into metrics.json as is.
    """

    def __init__(self, layer_names=None, every=1, atol=symmetry.SYMMETRY_ATOL):
        super().__init__(every, layer_names)
        self.atol = atol
        self._layers = []
        self._screen = None

    def _record(self, iteration):
        # One graph call screens every layer; the weights are read only
        # when the screen cannot prove the units distinct (symmetric ones).
        for layer, screen in zip(self._layers, self._screen(), strict=True):
            distinct, distance = symmetry.screened_symmetry_summary(
                screen, functools.partial(_weights, layer), self.atol
            )
            entry = self.history[layer.name]
            entry["iteration"].append(iteration)
            entry["distinct_units"].append(distinct)
            entry["max_pairwise_distance"].append(distance)

    def _reset(self):
        self._layers = self._watched_layers()
        self._screen = _symmetry_screen(self._layers)
        self.history = {
            layer.name: {
                "iteration": [],
                "distinct_units": [],
                "max_pairwise_distance": [],
            }
            for layer in self._layers
        }


def _weights(layer):
    """A layer's `(kernel, bias)` as NumPy (bias None if it has none)."""
    bias = getattr(layer, "bias", None)
    return (
        keras.ops.convert_to_numpy(layer.kernel),
        None if bias is None else keras.ops.convert_to_numpy(bias),
    )


def _spread(rows):
    return tf.reduce_max(rows, axis=1) - tf.reduce_min(rows, axis=1)


@tf.function(autograph=False)
def _screen(kernels, biases):
    """Each layer's symmetry screen (see `_symmetry_screen`).

    The weights come in as variables, so one trace serves every model with
    the same weight shapes: a sweep traces it once, not once per run.
    """
    out = []
    for kernel, bias in zip(kernels, biases, strict=True):
        rows = tf.reshape(kernel, [-1, kernel.shape[-1]])
        count = rows.shape[0]
        spreads = _spread(rows)
        if bias is not None:
            bias = tf.reshape(bias, [1, -1])
            spreads = tf.concat([spreads, _spread(bias)], axis=0)
        top = tf.math.top_k(
            spreads, k=min(symmetry.SCREEN_ROWS, spreads.shape[0])
        )
        # The kernel's rows by index; the bias is row `count`. (No
        # concatenated copy of the kernel.)
        picked = tf.gather(rows, tf.minimum(top.indices, count - 1))
        if bias is not None:
            picked = tf.where((top.indices == count)[:, None], bias, picked)
        out.append((spreads, top.indices, picked))
    return out


def _variable(weight):
    """The backend variable behind a Keras weight (None stays None)."""
    return None if weight is None else getattr(weight, "value", weight)


def _symmetry_screen(layers):
    """A function returning each layer's symmetry screen.

    For every layer, `(spread, indices, rows)` as
    `symmetry.screened_symmetry_summary` takes it: the units' spread in
    each coordinate (kernel rows, then the bias), and the
    `symmetry.SCREEN_ROWS` coordinates of largest spread (largest
    first, lowest index first among equals, as `np.argmax` picks). One
    traced call per record; a few kilobytes leave the graph instead of
    every kernel.
    """
    kernels = [_variable(layer.kernel) for layer in layers]
    biases = [_variable(getattr(layer, "bias", None)) for layer in layers]
    return functools.partial(_screen, kernels, biases)


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
            Dense layer but the output layer (`signals.hidden_layers`).

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
        # One probe per fit, compiled: it probes the same batch every few
        # iterations, and a traced pass costs a quarter of an eager one.
        self._probe = signals.Probe(
            self.model, self._watched_layers(), bins=None, compiled=True
        )
        self.history = {"iteration": [], "verdict": [], "layers": []}
        self.history.update({key: [] for key in self.KEYS})


class TensorBoardSummaries(_PeriodicRecorder):
    """Writes a run's curves and weight/activation histograms for TensorBoard.

    Scalars, with the iteration as the step (0 is the initial state, i is
    after the i-th update):

    - `train/loss`: the minibatch loss of every update;
    - `eval/loss`: the loss on the training loop's fixed evaluation subset,
      wherever the logs carry `"eval_loss"` (`training.train` does);
    - `symmetry/<layer>/distinct_units`: copied from the `symmetry` monitor
      as it records, so the count is computed once, for the record.

    Histograms, at iteration 0, every `histogram_every` updates and at the
    end: `weights/<layer>/kernel` for each hidden layer and, given a probe
    batch, `activations/<layer>`: the layer's outputs on that batch, from a
    `signals.probe_model` built once per run.

    The writer is flushed and closed at the end of training; `write_scalars`
    adds values measured afterwards (test loss and accuracy) to the same
    folder. Point `tensorboard --logdir` at the parent of several runs'
    folders to compare them.

    Examples:

    >>> monitor = SymmetryMonitor()
    >>> summaries = TensorBoardSummaries(
    ...     "runs/tb/he", histogram_every=10, probe=(x[:500], y[:500]),
    ...     symmetry=monitor)
    >>> model.fit(x, y, callbacks=[monitor, summaries])  # doctest: +SKIP

    Args:
        logdir: the folder the event files go into (created if missing).
        histogram_every: write histograms every this many iterations.
        probe: `(x, y)`, a fixed batch whose activations are histogrammed,
            or None for kernel histograms only (only `x` is used; the pair
            matches `ActivationStats`).
        symmetry: a `SymmetryMonitor` listed before this callback, whose
            distinct-unit counts become scalars; None writes none.
        layer_names: names of the layers to histogram; None takes every
            Dense layer but the output layer (`signals.hidden_layers`).
    """

    def __init__(
        self,
        logdir,
        histogram_every=10,
        probe=None,
        symmetry=None,
        layer_names=None,
    ):
        super().__init__(histogram_every, layer_names)
        self.logdir = logdir
        self.probe_x = None if probe is None else probe[0]
        self.symmetry = symmetry
        self._writer = None
        self._layers = []
        self._probe = None
        self._symmetry_written = {}

    def _reset(self):
        self._layers = self._watched_layers()
        self._probe = (
            None
            if self.probe_x is None
            else signals.probe_model(self.model, self._layers)
        )
        self._symmetry_written = {}

    def _record(self, iteration):
        with self._writer.as_default(step=iteration):
            for layer in self._layers:
                tf.summary.histogram(
                    f"weights/{layer.name}/kernel", layer.kernel
                )
            if self._probe is not None:
                outputs = self._probe(
                    tf.convert_to_tensor(self.probe_x, tf.float32),
                    training=False,
                )
                for layer, values in zip(
                    self._layers, outputs[:-1], strict=True
                ):
                    tf.summary.histogram(f"activations/{layer.name}", values)

    def _write_logs(self, logs, step):
        with self._writer.as_default(step=step):
            # Step 0 is the initial state: no minibatch has been seen.
            if "loss" in logs and step > 0:
                tf.summary.scalar("train/loss", logs["loss"])
            if "eval_loss" in logs:
                tf.summary.scalar("eval/loss", logs["eval_loss"])

    def _write_symmetry(self):
        if self.symmetry is None:
            return
        with self._writer.as_default():
            for layer, entry in self.symmetry.history.items():
                iterations = entry["iteration"]
                tag = f"symmetry/{layer}/distinct_units"
                done = self._symmetry_written.get(layer, 0)
                for i in range(done, len(iterations)):
                    tf.summary.scalar(
                        tag, entry["distinct_units"][i], iterations[i]
                    )
                self._symmetry_written[layer] = len(iterations)

    def on_train_begin(self, logs=None):
        self._writer = tf.summary.create_file_writer(self.logdir)
        super().on_train_begin(logs)
        self._write_logs(logs or {}, 0)
        self._write_symmetry()

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        self._write_logs(logs or {}, self._iteration)
        self._write_symmetry()

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        self._write_symmetry()
        self._writer.close()

    def write_scalars(self, scalars, step=None):
        """Writes `{tag: value}` to the run's folder after training.

        Args:
            scalars: tag -> number, e.g. `{"test/accuracy": 0.97}`.
            step: the step to write them at; None takes the last iteration
                trained.
        """
        writer = tf.summary.create_file_writer(self.logdir)
        step = self._iteration if step is None else step
        with writer.as_default(step=step):
            for tag, value in scalars.items():
                tf.summary.scalar(tag, value)
        writer.close()


class ProgressBar(keras.callbacks.Callback):
    """A `keras.utils.Progbar` over the training iterations, on a terminal.

    It shows the current minibatch loss and the latest eval loss (when the
    logs carry one). When `stream` is not a terminal (a pipe, a log file)
    it draws nothing: the record holds every number, and a bar redrawn
    with carriage returns would only clutter a file.

    Examples:

    >>> model.fit(x, y, callbacks=[ProgressBar(100)])  # doctest: +SKIP

    Args:
        iterations: the number of updates the bar counts to.
        stream: where the bar goes (default: `sys.stderr`, beside the log).

    Attributes:
        active: whether `stream` is a terminal, i.e. whether a bar is drawn.
    """

    def __init__(self, iterations, stream=None):
        super().__init__()
        if iterations < 1:
            raise ValueError(
                f"`iterations` must be >= 1. Received: iterations={iterations}"
            )
        self.iterations = int(iterations)
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.active = bool(isatty and isatty())
        self._bar = None
        self._iteration = 0

    def _update(self, logs, finalize=None):
        # Progbar writes to sys.stdout; send it to `stream` instead.
        values = [(k, logs[k]) for k in ("loss", "eval_loss") if k in logs]
        with contextlib.redirect_stdout(self.stream):
            self._bar.update(self._iteration, values, finalize=finalize)

    def on_train_begin(self, logs=None):
        self._iteration = 0
        if not self.active:
            return
        with contextlib.redirect_stdout(self.stream):
            self._bar = keras.utils.Progbar(
                self.iterations,
                stateful_metrics=("loss", "eval_loss"),
                unit_name="iteration",
            )
        self._update(logs or {})

    def on_train_batch_end(self, batch, logs=None):
        self._iteration += 1
        if self.active:
            self._update(logs or {})

    def on_train_end(self, logs=None):
        # A run that stopped early (diverged) still ends its line.
        if self.active and self._iteration < self.iterations:
            self._update({}, finalize=True)


class InitDoctor(keras.callbacks.Callback):
    """Runs `doctor.examine` when training begins; stops a doomed run.

    A guard for any `model.fit` (or `training.train`): before the first
    step it examines every weight of the model and the end-to-end gains of
    its signal paths (measured on the batch when one is given, with its
    forward and backward signals). With `on_error="raise"` an error-level
    finding raises `doctor.InitializationError`, so no compute is spent on
    a run that cannot learn; with `"warn"` it issues a `UserWarning` and
    training goes on. A signal path that only warns (a gain outside
    [0.1, 10], which training may or may not overcome) issues a
    `UserWarning` either way.

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
        if self.report.has(doctor.ERROR):
            error = doctor.InitializationError(self.report)
            if self.on_error == "raise":
                raise error
            warnings.warn(str(error), UserWarning, stacklevel=2)
            return
        paths = [
            f
            for f in self.report.findings
            if f.check == doctor.SIGNAL_PATH and f.severity == doctor.WARNING
        ]
        if paths:
            warnings.warn(
                "signal path warning(s):\n"
                + "\n".join(f"{f.path}: {f.message}" for f in paths),
                UserWarning,
                stacklevel=2,
            )
