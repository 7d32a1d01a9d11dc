"""The judge: the trusted side of an evaluation, which starts jailed runners and alone decides the verdict."""
