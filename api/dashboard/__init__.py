"""The program manager's dashboard: sign-in by emailed link, server-side sessions, server-rendered pages."""
