"""Cumberland: an investigation workbench for child-sexual-abuse-material cases."""

__version__ = "0.1.0"
