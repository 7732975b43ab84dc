"""The study that reproduces the article, run after run.

- `data`, `models`, `training`, `records`, `plots`: the parts every run uses.
- `kinds`: one module per kind of run (classifier, toy, regression, depth,
  deep_relu) and the sweep over initializers.
- `runner`: `Task`, `Study` and the record `Cache`.
- `engines`: who computes missing records (local workers, Ray Tune).

Data flows one way: a frozen config -> data, model, initializer -> the
training loop -> a record (metrics.json) -> figures, which read records only.
"""
