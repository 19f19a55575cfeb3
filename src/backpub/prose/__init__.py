"""The checks that read the prose patients read: its sentences located in their files, the doses it quotes and
its reading level."""
