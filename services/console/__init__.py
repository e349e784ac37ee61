"""The console: pages for operators (and later volunteers), over the three services' APIs."""
