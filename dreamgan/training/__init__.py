"""Training utilities shared by the classifier and (later) the GANs: run dirs and plots."""
