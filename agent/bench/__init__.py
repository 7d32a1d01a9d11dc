"""`kernelwright bench`: a model or agent config run over many tasks as one stored, resumable run."""
