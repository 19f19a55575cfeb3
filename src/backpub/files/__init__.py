"""The project's files on disk, handled safely: the walk of the content folder, content files parsed with
their line numbers, the state store under .backpub/ and the atomic writer of outputs/."""
