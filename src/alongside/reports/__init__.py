"""Reports and charts: printable summaries and the SVG charts pages show."""
