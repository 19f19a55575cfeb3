"""The `epub` format (work in progress: registers nothing yet)."""
