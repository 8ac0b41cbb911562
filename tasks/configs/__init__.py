"""Task kinds ``train_config`` and ``serve_config``: distributed training and serving configurations.

A config task names a model, a cluster and a workload; a candidate is a parallel layout
(:class:`tasks.configs.layout.TrainLayout` or :class:`tasks.configs.layout.ServeLayout`) that the
config verifiers check for memory, predict the speed of, and turn into framework configs.
"""
