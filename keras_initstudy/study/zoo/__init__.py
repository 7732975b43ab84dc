"""The doctor's zoo: small models whose fate under training is measured.

Issue 17 asks to prove the init doctor's verdicts against training. `ZOO`
maps a name to a `ZooModel`: `build(seed)` -> an uncompiled 10-logit Keras
model, the data it reads (MNIST or `synthetic_tokens`), and what its design
intends (`HEALTHY` or `BROKEN`). It covers the article's MLPs and what
practitioners build (CNNs, depthwise-separable and residual nets,
normalization, LSTM and GRU, attention, embeddings), healthy and with the
broken initializations the study and practice know; each trains in a few
seconds on one CPU core.

The "zoo" study kind (`keras_initstudy.study.kinds.zoo`) trains one model
on one seed and records whether it `stalls`. `outcomes` gathers those
records per model, `doctor_verdict` asks the doctor whether it predicts a
stall, and `confusion` compares the two:

```python
from keras_initstudy.study import runner, zoo
from keras_initstudy.study.kinds import zoo as zoo_kind

tasks = [runner.Task("zoo", c) for c in zoo_kind.configs(seeds=(0, 1))]
records = runner.Study(cache_dir).records(tasks)
verdicts = {n: zoo.doctor_verdict(m.build(0)) for n, m in zoo.ZOO.items()}
zoo.confusion(zoo.outcomes(records), verdicts)
```

The measured outcome decides; `expected` only documents the intent.

- `architectures`: the builders, one per architecture, any initializers.
- `registry`: `ZOO` and the training budget.
- `tokens`: the synthetic token task.
- `verdicts`: stalls, outcomes and the confusion matrix.
"""

from keras_initstudy.study.zoo.registry import BATCH_SIZE
from keras_initstudy.study.zoo.registry import BROKEN
from keras_initstudy.study.zoo.registry import HEALTHY
from keras_initstudy.study.zoo.registry import ITERATIONS
from keras_initstudy.study.zoo.registry import LEARNING_RATE
from keras_initstudy.study.zoo.registry import MNIST
from keras_initstudy.study.zoo.registry import SYNTHETIC
from keras_initstudy.study.zoo.registry import ZOO
from keras_initstudy.study.zoo.registry import ZooModel
from keras_initstudy.study.zoo.tokens import synthetic_tokens
from keras_initstudy.study.zoo.verdicts import STALL_MARGIN
from keras_initstudy.study.zoo.verdicts import confusion
from keras_initstudy.study.zoo.verdicts import doctor_verdict
from keras_initstudy.study.zoo.verdicts import model_stalls
from keras_initstudy.study.zoo.verdicts import outcomes
from keras_initstudy.study.zoo.verdicts import stalls

__all__ = [
    "BATCH_SIZE",
    "BROKEN",
    "HEALTHY",
    "ITERATIONS",
    "LEARNING_RATE",
    "MNIST",
    "STALL_MARGIN",
    "SYNTHETIC",
    "ZOO",
    "ZooModel",
    "confusion",
    "doctor_verdict",
    "model_stalls",
    "outcomes",
    "stalls",
    "synthetic_tokens",
]
