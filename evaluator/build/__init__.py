"""Building candidate kernels: a content-hash cache and fast compilers per language."""
