"""shequ\x27s ETL: county returns in, indicators out."""
