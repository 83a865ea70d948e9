# server deployments (issue 4)
