"""`python -m etl` runs the shequ command line."""
from .cli import main

main()
