"""`python -m backpub`."""

from backpub.cli import main

main()
