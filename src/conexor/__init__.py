"""conexor: AI assistants query SQL databases through MCP without the gateway holding a usable credential."""

__version__ = "0.1.0"
__all__ = ["__version__"]
