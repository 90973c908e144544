"""Model runtime: the Scorer protocol, the rule scorer, and loading a trained model (its compiled NumPy form
first) to turn package features into a probability of malice. Training lives in :mod:`vetpy.lab`."""
