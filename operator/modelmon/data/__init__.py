"""Reading data: files in CSV, JSON Lines and Parquet, column by column, through pyarrow."""
