"""coord: claims and conflict checks for many coding agents sharing one repo."""

__version__ = "0.1.0"
