"""birdhouse: a build farm for microcontainer base images."""

__version__ = "0.1.0"
