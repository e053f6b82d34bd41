"""Reading a return: safety checks, the isolated parse, locating the table, cleaning, validation, the return's schema and its problems. Pure: bytes and DataFrames in, no database."""
