"""Training from traces: rewards, dataset curation and export, and the TRL/OpenAI trainers.

The trainers import `trl`, `transformers` and friends lazily (the `train` extra), so exporting datasets and
computing rewards work with the base install.
"""
