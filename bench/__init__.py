"""shequ's benchmark suite: `python -m bench --scale city|province|nation` (see bench/README.md)."""
