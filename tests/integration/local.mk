# integration tests (filled in later)
