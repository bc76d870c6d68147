"""tuneset: build fine-tuning datasets people can trust."""

__version__ = "0.1.0"
