"""The console's panes, one folder each; each reads the ``ConsoleModel``."""
