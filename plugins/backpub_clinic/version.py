"""The clinic plugin's version: a change here re-renders nothing (it makes no build outputs)."""

__version__ = "1"
