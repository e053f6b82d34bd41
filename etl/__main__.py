"""`python -m etl` runs the shequ command line."""
from etl.cli import main

main()
