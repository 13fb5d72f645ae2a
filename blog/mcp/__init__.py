"""blog-mcp: the MCP server, its own program; it speaks HTTP to the JSON API and imports
nothing else of blog."""
