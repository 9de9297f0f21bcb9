"""nianbao: the application layer (command line) over crawler/, storage/ and monitor/."""

__version__ = "0.1.0"
