"""Words and markup, knowing nothing of the model: Markdown with the programme's link rules, the URL policy,
the rules every text field follows, slugs, e-mail addresses and the message catalogues."""
