"""The kinds of run the study runner knows, each with its config class.

A kind is one module of this package with a frozen config dataclass and a
`run(config, dataset)` that returns a record. `sweep` is not a kind: it
asks the runner for many classifier runs.
"""

import dataclasses

from keras_initstudy.study.kinds import classifier
from keras_initstudy.study.kinds import deep_relu
from keras_initstudy.study.kinds import depth
from keras_initstudy.study.kinds import propagation
from keras_initstudy.study.kinds import regression
from keras_initstudy.study.kinds import toy
from keras_initstudy.study.kinds import trainability
from keras_initstudy.study.kinds import zoo


@dataclasses.dataclass(frozen=True)
class Kind:
    """How to run one kind of task.

    Attributes:
        config_class: the frozen dataclass of the kind's config.
        run: `run(config, dataset)` -> record (a JSON-ready dict); with
            `run_name`, also a `logdir=` keyword (a folder or None).
        uses_data: whether `run` needs a loaded `data.Dataset`.
        run_name: for kinds that write TensorBoard summaries, the name of a
            run's folder under the study's logdir (`run_name(config)`).
    """

    config_class: type
    run: object
    uses_data: bool = True
    run_name: object = None


def _run_toy(config, dataset):
    del dataset
    return toy.run(config)


KINDS = {
    "classifier": Kind(
        classifier.ClassifierConfig,
        classifier.run_classifier,
        run_name=classifier.run_name,
    ),
    "toy": Kind(toy.ToyConfig, _run_toy, uses_data=False),
    "regression": Kind(regression.RegressionConfig, regression.run),
    "depth": Kind(depth.DepthConfig, depth.run),
    "deep_relu": Kind(deep_relu.DeepReluConfig, deep_relu.run),
    "propagation": Kind(propagation.PropagationConfig, propagation.run),
    "trainability": Kind(
        trainability.TrainabilityConfig,
        trainability.run,
        run_name=trainability.run_name,
    ),
    "zoo": Kind(zoo.ZooConfig, zoo.run),
}
