"""Patient-facing text, instruments and defaults as data files, validated when loaded."""
