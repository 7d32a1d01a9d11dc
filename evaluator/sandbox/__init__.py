"""Run one evaluation in a fresh, limited child process."""
