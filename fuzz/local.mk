# fuzz/ (issue 5)
