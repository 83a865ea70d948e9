# client/ (owned by its issue)
