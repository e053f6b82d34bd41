"""The indicators, their expressions and the county scorecard: DataFrames in, figures out, no database."""
