"""Signal propagation at initialization: the mean-field theory.

For a deep, wide MLP whose Dense layers draw kernel entries from
N(0, sigma_w2 / fan_in) and biases from N(0, sigma_b2), the theory predicts
from (sigma_w2, sigma_b2, activation) alone how the variance of the
pre-activations and the correlation between inputs evolve with depth, how
gradients grow or shrink on the way back, and whether the network is
ordered, chaotic or critical (Poole et al. 2016; Schoenholz et al. 2017).

    from keras_initstudy import theory

    theory.analyze(sigma_w2=1.5, sigma_b2=0.05, activation="tanh")
    theory.critical_sigma_w2(0.05, "tanh")           # about 1.76

`mlp_signal` (and `mlp_signals`, for several batches through one network)
measures the same quantities in a Keras MLP; `predict_signal` predicts
them for the same batch.

Importing this package imports NumPy only.

References:
    Poole, Lahiri, Raghu, Sohl-Dickstein & Ganguli 2016, "Exponential
    expressivity in deep neural networks through transient chaos".
    Schoenholz, Gilmer, Ganguli & Sohl-Dickstein 2017, "Deep Information
    Propagation".
"""

from keras_initstudy.theory.activations import NAMES as ACTIVATIONS
from keras_initstudy.theory.errors import MeanFieldError
from keras_initstudy.theory.meanfield import CHAOTIC
from keras_initstudy.theory.meanfield import CRITICAL
from keras_initstudy.theory.meanfield import ORDERED
from keras_initstudy.theory.meanfield import PHASES
from keras_initstudy.theory.meanfield import MeanField
from keras_initstudy.theory.meanfield import analyze
from keras_initstudy.theory.meanfield import c_star
from keras_initstudy.theory.meanfield import chi1
from keras_initstudy.theory.meanfield import chi_c
from keras_initstudy.theory.meanfield import correlation_map
from keras_initstudy.theory.meanfield import critical_sigma_w2
from keras_initstudy.theory.meanfield import depth_sigma_w2
from keras_initstudy.theory.meanfield import q_iterates
from keras_initstudy.theory.meanfield import q_star
from keras_initstudy.theory.meanfield import variance_map
from keras_initstudy.theory.meanfield import xi_c
from keras_initstudy.theory.meanfield import xi_q
from keras_initstudy.theory.measure import mlp_signal
from keras_initstudy.theory.measure import mlp_signals
from keras_initstudy.theory.measure import predict_signal

__all__ = [
    "ACTIVATIONS",
    "CHAOTIC",
    "CRITICAL",
    "ORDERED",
    "PHASES",
    "MeanField",
    "MeanFieldError",
    "analyze",
    "c_star",
    "chi1",
    "chi_c",
    "correlation_map",
    "critical_sigma_w2",
    "depth_sigma_w2",
    "mlp_signal",
    "mlp_signals",
    "predict_signal",
    "q_iterates",
    "q_star",
    "variance_map",
    "xi_c",
    "xi_q",
]
