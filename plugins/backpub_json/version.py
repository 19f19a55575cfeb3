"""The plugin's version: what `backpub plugins` shows, and its format's version (a new one re-renders the outputs)."""

__version__ = "1.0"
