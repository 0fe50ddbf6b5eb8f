"""conexor: AI assistants query SQL databases over MCP; the gateway holds no usable credential."""

__version__ = "0.1.0"
__all__ = ["__version__"]
