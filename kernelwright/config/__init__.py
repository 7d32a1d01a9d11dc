"""Run configurations: YAML files (see configs/), one model per command, flags over file values."""
