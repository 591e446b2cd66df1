"""Reports that turn committed evaluation results into the tables, plots and claims of a paper."""
