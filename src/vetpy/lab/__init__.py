"""The lab: datasets, training, evaluation protocols, plots and ablation recipes (needs the ``train``
extra: scikit-learn, SciPy, skops, matplotlib). Scanning never imports it; ``vetpy train``, ``evaluate``
and ``dataset`` import it lazily."""
