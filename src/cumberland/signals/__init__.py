"""Pure functions of an item's bytes or pixels that return typed records."""
