"""How the bot writes things down: values and labels, tables, charts, files written atomically."""
