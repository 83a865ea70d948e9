# robustness tests (issue 5)
