"""A content folder loaded, checked across files and turned into one read-only Publication."""
