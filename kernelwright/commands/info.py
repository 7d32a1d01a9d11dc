def info_cmd() -> None:
    """The settings in force (secrets masked), versions, platforms, and where the store and caches are."""
