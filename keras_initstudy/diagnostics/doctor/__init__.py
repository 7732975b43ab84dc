"""An initialization "doctor" for any Keras 3 model.

`examine(model)` walks every weight of a model (nested models, wrappers
such as Bidirectional and TimeDistributed, recurrent cells, attention
projections) and judges each trainable weight by its role:

- kernels of Dense, EinsumDense, convolutions (depthwise and separable ones
  with their own fans) and recurrent cells' input kernels:
  - `zero_kernel`: all weights 0; `constant_kernel`: all weights one
    non-zero value. The units start identical. An error when they stay so:
    relu passes no gradient at 0, and units whose outgoing weights are
    alike too get the same gradient for ever (the article's net).
    Information in an output layer (distinct hidden units give it distinct
    gradients), and before layers with distinct weights while the units
    pass gradients (a tanh or LSTM layer, a non-zero constant under relu):
    the weights after them give each unit its own gradient, and they part
    on the first step. A failing path that only starts at 0 through such a
    kernel is information too.
  - `symmetric_units`: some units have identical incoming weights (and
    biases), so the layer computes fewer distinct features than it has
    units. For recurrent cells a unit's incoming weights span every gate of
    the input kernel, the recurrent kernel and the bias.
  - `scale`: the weights' standard deviation is more than `SCALE_TOLERANCE`
    times off the variance-preserving value for the layer's activation (He
    for the relu family, Glorot otherwise). Across L such layers the signal
    is scaled by roughly that factor to the power L. Kernels whose output
    goes straight into a normalization layer are exempt: the normalization
    undoes any scale.
- recurrent kernels: the same, with `scale` measured as the gain per time
  step (the root-mean-square singular value of each gate's block): far
  from 1 (orthogonal), the state explodes or fades over time.
- Embedding tables: `identical_rows` (all tokens start as one vector) and
  `duplicate_rows`.
- normalization scale (gamma): `zero_scale` (the layer outputs its offset
  whatever its input, and no gradient passes through it) and `scale`;
  a zero scale on a residual branch is the deliberate "zero-init residual"
  trick and only information.
- biases: `bias_scale`, biases large enough to decide a unit's output alone.
- every weight: `non_finite` (NaN or infinity).
- across weights: `duplicate_weights`, two weights with identical values,
  the symptom of one unseeded initializer instance shared by same-shaped
  layers (Keras 3 initializers return the same values on every call).

Layers a little off compound: thirty ReLU layers at Glorot's std each lose
a factor of 0.71 and the signal 2^-15 overall. So the doctor also judges
every signal path end to end (`signal_path`, one verdict per output, first
in the report and the table): it propagates second moments through the
layer graph from the weights' statistics and the mean-field theory
(`propagate`), and judges the forward gain (output pre-activations over
the entries) and the backward gain (gradient norm at the entries over the
output's): an error when the signal or gradient is lost beyond float32's
range, a warning outside [0.1, 10] naming the layers that cause it and the
fix, information otherwise. A kernel `scale` finding stays a warning only
when its layer causes a failing path; otherwise it is information. A
gradient that grows only through normalization layers (which divide by
their inputs' std, while their outputs keep their scale) is information:
no initializer change fixes it, and the weights before a normalization
are scale-free.

With a batch `(x, y)` the doctor measures the same gains on it (the
verdict goes by the measured ones; a path that cannot be measured says why
in a `not_measured` finding), runs one forward and one backward pass
(`keras_initstudy.diagnostics.signals`) and reports the signal regime over
depth (`signals` findings: vanishing, exploding, saturated), layers whose
units are dead on the whole batch and kernels that get no gradient at all.
The regime compares the first and last layers with a factor of 3; when
every path's measured gains are inside the band it is information (a
residual network's sum grows by design). A kernel that gets no gradient
only because an all-zero kernel after it passes none back (a zero output
layer) learns from the second step: information.

Every weight of the model is either examined (with the checks that ran) or
skipped with a reason: a weight the doctor cannot judge is never counted
as healthy. Each finding has a severity: "error" (training cannot fix it),
"warning" (training is likely to suffer) or "info", and a fix naming the
registry initializer and the code to write.

The work lives in the modules beside this face: `walk` (layers, weights,
roles), `graph` (who feeds whom), `checks` (the weight checks, in order),
`moments` (what one layer does to the signal), `propagate` (the graph's
second moments and paths), `paths` (the verdicts on them), `batches` and
`signal_checks` (the passes on a batch), `findings` (the report and its
fixes), `families` (the layer kinds the rules name), `table` (the terminal
view) and `diagnose` (`examine`, which runs them).
"""

from keras_initstudy.diagnostics.doctor.batches import SYNTHETIC_BATCH_SIZE
from keras_initstudy.diagnostics.doctor.batches import image_batch
from keras_initstudy.diagnostics.doctor.batches import synthetic_batch
from keras_initstudy.diagnostics.doctor.checks import BIAS_LIMIT
from keras_initstudy.diagnostics.doctor.checks import SCALE_TOLERANCE
from keras_initstudy.diagnostics.doctor.diagnose import examine
from keras_initstudy.diagnostics.doctor.findings import ERROR
from keras_initstudy.diagnostics.doctor.findings import INFO
from keras_initstudy.diagnostics.doctor.findings import SEVERITIES
from keras_initstudy.diagnostics.doctor.findings import WARNING
from keras_initstudy.diagnostics.doctor.findings import Examined
from keras_initstudy.diagnostics.doctor.findings import Finding
from keras_initstudy.diagnostics.doctor.findings import InitializationError
from keras_initstudy.diagnostics.doctor.findings import Report
from keras_initstudy.diagnostics.doctor.findings import Skipped
from keras_initstudy.diagnostics.doctor.findings import fix
from keras_initstudy.diagnostics.doctor.findings import recommended_std
from keras_initstudy.diagnostics.doctor.paths import BAND
from keras_initstudy.diagnostics.doctor.paths import CHECK as SIGNAL_PATH
from keras_initstudy.diagnostics.doctor.paths import LOST
from keras_initstudy.diagnostics.doctor.repair import repair
from keras_initstudy.diagnostics.doctor.signal_checks import DEAD_SHARE
from keras_initstudy.diagnostics.doctor.table import format_table

__all__ = [
    "BAND",
    "BIAS_LIMIT",
    "DEAD_SHARE",
    "ERROR",
    "INFO",
    "LOST",
    "SCALE_TOLERANCE",
    "SEVERITIES",
    "SIGNAL_PATH",
    "SYNTHETIC_BATCH_SIZE",
    "WARNING",
    "Examined",
    "Finding",
    "InitializationError",
    "Report",
    "Skipped",
    "examine",
    "fix",
    "format_table",
    "image_batch",
    "recommended_std",
    "repair",
    "synthetic_batch",
]
