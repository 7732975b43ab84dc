"""The kinds of run the study runner knows, each with its config class.

A kind is one module of this package with a frozen config dataclass and a
`run(config, dataset)` that returns a record. `sweep` is not a kind: it
asks the runner for many classifier runs.
"""

import dataclasses
import os

from keras_initstudy.study.kinds import classifier
from keras_initstudy.study.kinds import deep_relu
from keras_initstudy.study.kinds import depth
from keras_initstudy.study.kinds import regression
from keras_initstudy.study.kinds import toy


@dataclasses.dataclass(frozen=True)
class Kind:
    """How to run one kind of task.

    Attributes:
        config_class: the frozen dataclass of the kind's config.
        run: `run(config, dataset)` -> record (a JSON-ready dict); with
            `summaries`, also a `logdir=` keyword (a folder or None).
        uses_data: whether `run` needs a loaded `data.Dataset`.
        summaries: whether `run` can write TensorBoard summaries.
    """

    config_class: type
    run: object
    uses_data: bool = True
    summaries: bool = False


def _run_classifier(config, dataset, logdir=None):
    return classifier.run_classifier(
        config,
        dataset=dataset,
        logdir=None
        if logdir is None
        else os.path.join(logdir, classifier.run_name(config)),
    )


def _run_toy(config, dataset):
    del dataset
    return toy.run(config)


KINDS = {
    "classifier": Kind(
        classifier.ClassifierConfig, _run_classifier, summaries=True
    ),
    "toy": Kind(toy.ToyConfig, _run_toy, uses_data=False),
    "regression": Kind(regression.RegressionConfig, regression.run),
    "depth": Kind(depth.DepthConfig, depth.run),
    "deep_relu": Kind(deep_relu.DeepReluConfig, deep_relu.run),
}
