"""One controller per area of the API; each turns HTTP into one use-case call and back."""
