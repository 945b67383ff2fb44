"""The people's side: server-rendered pages (Jinja2) for agents, unit handlers and supervisors."""
