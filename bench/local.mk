# bench/ (owned by its issue)
