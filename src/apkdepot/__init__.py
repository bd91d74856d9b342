"""ApkDepot: an open-source Android app store server."""

__version__ = "0.1.0"
