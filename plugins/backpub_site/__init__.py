"""The `site` format (work in progress: registers nothing yet)."""
