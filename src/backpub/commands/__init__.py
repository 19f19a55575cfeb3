"""What the built-in commands do (the CLI in backpub.cli parses their arguments): `new`, `preview`, `clean`
and `schedule`, the reports of `validate` and `build`, `schema`."""
