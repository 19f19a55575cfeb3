"""The `feed` format (work in progress: registers nothing yet)."""
