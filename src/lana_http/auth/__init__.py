"""Authentication: signed tokens, the middleware that checks them, and the sign-in routes."""
