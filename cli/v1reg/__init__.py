"""v1reg: move `docker save` tarballs through a Docker Registry v1 (spec: ../shared/spec/v1-protocol.md)."""
__version__ = "0.1.0"
