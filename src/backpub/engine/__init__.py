"""The build engine: formats' jobs planned, fingerprinted, rendered in workers and committed; the build
report; the stamp of the last build that lets an unchanged build finish at once."""
