"""Reports rendered for a terminal, Markdown and HTML from what the services compute."""
