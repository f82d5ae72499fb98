"""The commands of the coprod CLI, one module per area."""
