"""The runner: the jailed process that runs untrusted code (a task, a candidate) and answers the judge."""
