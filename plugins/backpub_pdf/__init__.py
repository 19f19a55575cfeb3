"""The `pdf` format (work in progress: registers nothing yet)."""
