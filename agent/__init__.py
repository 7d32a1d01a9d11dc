"""The agent: LLM providers, prompt building, code extraction, the refinement search and its Ray cluster."""
