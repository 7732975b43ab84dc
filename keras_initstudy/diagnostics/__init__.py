"""What a practitioner runs on a model to judge its initialization.

- `symmetry`: distinct units of a layer (identical units are one unit).
- `prior`: does a classifier answer one class for every input?
- `signals`: per-layer forward and backward statistics, with a verdict.
- `callbacks`: Keras callbacks over them (`SymmetryMonitor`,
  `ActivationStats`, `TensorBoardSummaries`, `InitDoctor`).
- `doctor`: findings about any Keras model's initial weights.

The modules are imported by name (`from keras_initstudy.diagnostics import
signals`); this package's import loads none of them.
"""
