# web/ (owned by its issue)
