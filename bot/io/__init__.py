"""Import (native and mapped CSV/JSON lines) and export of snapshots."""
