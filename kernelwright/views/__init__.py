"""Rich renderings shared by commands: live progress and run summaries."""
