"""Pages of the bodies of methodological work: councils, the pedagogical council, commissions and
departments (one set of pages for them all), the association form, inter-school associations of a
district cabinet, and sector methodological unions of the republic cabinet."""
