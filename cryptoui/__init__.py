"""The web face of the tracker: a NiceGUI page bound to the price engine, plus endpoints for programs."""
