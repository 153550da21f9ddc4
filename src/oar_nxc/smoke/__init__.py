"""The OAR smoke tests: the table of checks (``checks``), the runner that submits, waits for and judges
them (``runner``), and the JSON, JUnit and HTML reports (``reports``)."""
