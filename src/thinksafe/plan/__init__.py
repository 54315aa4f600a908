"""`thinksafe plan`: what a run will cost before it starts (jobs and cluster submissions from Snakemake's own
dry run; GPU-hours, API calls, tokens, dollars and disk from the config over a stated throughput table)."""
