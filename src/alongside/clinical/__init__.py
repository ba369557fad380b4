"""Pure clinical rules taken from guidelines and published tables. No I/O, no imports of ours."""
