"""The `newsletter` format (work in progress: registers nothing yet)."""
