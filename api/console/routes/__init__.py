"""The console's pages, a module per area; each exports ``router``."""
